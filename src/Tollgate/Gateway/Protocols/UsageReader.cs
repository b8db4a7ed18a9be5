using System.Text.Json;
using Tollgate.Gateway.Pricing;

namespace Tollgate.Gateway.Protocols;

/// <summary>Reads the token counts providers report, from OpenAI's and Anthropic's <c>usage</c> objects.</summary>
public static class UsageReader
{
    /// <summary>
    /// OpenAI's usage: chat (<c>prompt_tokens</c>, <c>completion_tokens</c> and their details), embeddings
    /// (<c>prompt_tokens</c>) and image models (<c>input_tokens</c>, <c>output_tokens</c>).
    /// </summary>
    public static TokenUsage FromOpenAI(JsonElement usage)
    {
        if (usage.ValueKind != JsonValueKind.Object) return default;
        var input = Long(usage, "prompt_tokens") ?? Long(usage, "input_tokens") ?? 0;
        var output = Long(usage, "completion_tokens") ?? Long(usage, "output_tokens") ?? 0;
        var cached = usage.TryGetProperty("prompt_tokens_details", out var prompt) ? Long(prompt, "cached_tokens") ?? 0 : 0;
        var reasoning = usage.TryGetProperty("completion_tokens_details", out var completion) ? Long(completion, "reasoning_tokens") ?? 0 : 0;
        return new TokenUsage(Input: input, Output: output, CachedInput: cached, Reasoning: reasoning);
    }

    /// <summary>
    /// Anthropic's usage, as in a message, <c>message_start</c> or <c>message_delta</c>; missing counts stay as
    /// <paramref name="previous"/> has them, since <c>message_delta</c> repeats only what changed.
    /// </summary>
    public static TokenUsage FromAnthropic(JsonElement usage, TokenUsage previous = default)
    {
        if (usage.ValueKind != JsonValueKind.Object) return previous;
        var cacheRead = Long(usage, "cache_read_input_tokens") ?? previous.CachedInput;
        var cacheWrite = Long(usage, "cache_creation_input_tokens") ?? previous.CacheWrite;
        var uncached = Long(usage, "input_tokens") ?? (previous.Input - previous.CachedInput - previous.CacheWrite);
        var output = Long(usage, "output_tokens") ?? previous.Output;
        return TokenUsage.FromAnthropic(uncached, output, cacheRead, cacheWrite) with { Images = previous.Images };
    }

    static long? Long(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : null;
}
