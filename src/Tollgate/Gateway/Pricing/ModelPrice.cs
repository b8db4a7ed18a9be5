namespace Tollgate.Gateway.Pricing;

/// <summary>
/// The list price of one model: token prices in US dollars per million tokens, image and request prices in
/// US dollars each. Absent prices are zero, except cached input and reasoning, which fall back to input and output.
/// </summary>
public sealed record ModelPrice
{
    public string? Provider { get; init; }
    public decimal Input { get; init; }
    public decimal? CachedInput { get; init; }
    public decimal? CacheWrite { get; init; }
    public decimal Output { get; init; }
    public decimal? Reasoning { get; init; }
    public decimal PerImage { get; init; }
    public decimal PerRequest { get; init; }
    public string? Source { get; init; }
    public string? AsOf { get; init; }
}
