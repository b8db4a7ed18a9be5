namespace Tollgate.Gateway.Pricing;

/// <summary>
/// What one request used, normalised across providers. <see cref="Input"/> counts every prompt token,
/// cached and cache-written ones included (OpenAI's <c>prompt_tokens</c>; Anthropic's three input counts added up);
/// <see cref="Output"/> counts every generated token, reasoning included (OpenAI's <c>completion_tokens</c>).
/// </summary>
public readonly record struct TokenUsage(
    long Input = 0,
    long Output = 0,
    long CachedInput = 0,
    long CacheWrite = 0,
    long Reasoning = 0,
    int Images = 0)
{
    public long Total => Input + Output;

    /// <summary>Prompt tokens billed at the full input price.</summary>
    public long UncachedInput => Math.Max(0, Input - CachedInput - CacheWrite);

    public static TokenUsage FromAnthropic(long inputTokens, long outputTokens, long cacheRead, long cacheCreation) =>
        new(Input: inputTokens + cacheRead + cacheCreation, Output: outputTokens, CachedInput: cacheRead, CacheWrite: cacheCreation);
}
