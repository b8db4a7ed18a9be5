namespace Tollgate.Gateway.Pricing;

/// <summary>Prices a request's usage: pure arithmetic over <see cref="ModelPrice"/>, rounded once, half away from zero.</summary>
public static class CostCalculator
{
    const decimal NanosPerMillionTokensPerDollar = Cost.NanosPerDollar / 1_000_000m;

    /// <summary>The operator's cost in nano-dollars.</summary>
    public static long CostNanos(ModelPrice price, TokenUsage usage)
    {
        var perMillion =
            usage.UncachedInput * price.Input +
            usage.CachedInput * (price.CachedInput ?? price.Input) +
            usage.CacheWrite * (price.CacheWrite ?? price.Input) +
            Math.Max(0, usage.Output - usage.Reasoning) * price.Output +
            Math.Min(usage.Reasoning, usage.Output) * (price.Reasoning ?? price.Output);
        var nanos = perMillion * NanosPerMillionTokensPerDollar +
                    (usage.Images * price.PerImage + price.PerRequest) * Cost.NanosPerDollar;
        return (long)Math.Round(nanos, MidpointRounding.AwayFromZero);
    }

    /// <summary>The customer's charge: the cost raised by a markup in percent (20 means cost × 1.2).</summary>
    public static long WithMarkup(long costNanos, decimal markupPercent) =>
        (long)Math.Round(costNanos * (1 + markupPercent / 100m), MidpointRounding.AwayFromZero);
}
