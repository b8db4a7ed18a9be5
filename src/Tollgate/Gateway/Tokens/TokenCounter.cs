using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Tollgate.Common;
using Tollgate.Gateway.Routing;

namespace Tollgate.Gateway.Tokens;

/// <summary>
/// Counts tokens with the tokenizer of the model when one fits: OpenAI's o200k_base (GPT-4o, GPT-4.1, GPT-5, the o
/// series) or cl100k_base (GPT-4, GPT-3.5, the embedding models), the same tiktoken files the provider uses
/// (<see cref="TokenEncoding"/>). Other
/// models (Claude, Llama, Mistral…) have no published tokenizer that installs here, so they keep the estimate of four
/// bytes of UTF-8 to a token, which is larger than what they count for most text.
/// </summary>
public static class TokenCounter
{
    static readonly ConcurrentDictionary<string, TokenEncoding?> ByModel = new(StringComparer.OrdinalIgnoreCase);

    static readonly string[] O200kModels = ["gpt-4o", "chatgpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4"];
    static readonly string[] Cl100kModels = ["gpt-4", "gpt-3.5", "text-embedding-3", "text-embedding-ada"];

    /// <summary>The tokenizer of a deployment: its upstream model's, or that of the model it is priced as.</summary>
    public static TokenEncoding? For(Deployment deployment) => For(deployment.Model) ?? (deployment.PriceAs is { } priced ? For(priced) : null);

    public static TokenEncoding? For(string model) => ByModel.GetOrAdd(model, static name =>
    {
        var bare = name.Contains('/') ? name[(name.LastIndexOf('/') + 1)..] : name; // openai/gpt-4o on routers
        if (O200kModels.Any(p => bare.StartsWith(p, StringComparison.OrdinalIgnoreCase))) return TokenEncoding.O200kBase;
        return Cl100kModels.Any(p => bare.StartsWith(p, StringComparison.OrdinalIgnoreCase)) ? TokenEncoding.Cl100kBase : null;
    });

    /// <summary>
    /// Counts of strings seen before (a system prompt, a few-shot example, a tool's schema), each reused while it is
    /// among the most recently counted: an app sends the same ones with every request. Bounded by entries and by 8 MB.
    /// </summary>
    static readonly LruCache<(TokenEncoding Tokenizer, string Text), int> Counted = new(20_000, 8L * 1024 * 1024, static (key, _) => 64 + 2L * key.Text.Length);

    const int LongestCounted = 16 * 1024;

    /// <summary>Tokens of <paramref name="text"/>: the tokenizer's count, or the byte estimate without one.</summary>
    public static long Count(TokenEncoding? tokenizer, string text)
    {
        if (text.Length == 0) return 0;
        if (tokenizer is null) return TokenEstimate.Of(text);
        if (text.Length > LongestCounted) return tokenizer.CountTokens(text);
        if (Counted.TryGet((tokenizer, text), out var known)) return known;
        var count = tokenizer.CountTokens(text);
        Counted.Set((tokenizer, text), count);
        return count;
    }

    /// <summary>
    /// The prompt tokens of a request: with a tokenizer, the tokens of each string in its messages, system prompt, tools
    /// and input, counted one by one as OpenAI counts a message's values, plus its overhead of three per message and
    /// three to prime the answer; without one, the byte estimate of the whole body.
    /// </summary>
    public static long Prompt(GatewayRequest request, TokenEncoding? tokenizer)
    {
        if (tokenizer is null) return TokenEstimate.OfBytes(request.BodyBytes);
        var tokens = 0L;
        foreach (var field in Fields)
        {
            if (request.Body[field] is not { } node) continue;
            tokens = checked(tokens + Strings(node, tokenizer));
            if (field == "messages" && node is JsonArray messages) tokens = checked(tokens + 3L * messages.Count + 3);
        }

        return tokens;
    }

    static readonly string[] Fields = ["messages", "system", "tools", "input", "prompt"];

    static long Strings(JsonNode node, TokenEncoding tokenizer)
    {
        switch (node)
        {
            case JsonObject o:
                var inObject = 0L;
                foreach (var (_, child) in o) if (child is not null) inObject += Strings(child, tokenizer);
                return inObject;
            case JsonArray a:
                var inArray = 0L;
                foreach (var child in a) if (child is not null) inArray += Strings(child, tokenizer);
                return inArray;
            case JsonValue v when v.TryGetValue<string>(out var s):
                return Count(tokenizer, s);
            default:
                return 0;
        }
    }
}
