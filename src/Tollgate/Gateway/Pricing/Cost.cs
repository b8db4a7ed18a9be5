namespace Tollgate.Gateway.Pricing;

/// <summary>
/// What a request cost the operator (<see cref="CostNanos"/>, at the provider's list price) and what it is charged to
/// the customer (<see cref="ChargeNanos"/>, after the plan's markup), in billionths of a US dollar so that a single
/// embedding token still has a non-zero price. <see cref="PriceVersion"/> names the price table used.
/// </summary>
public readonly record struct Cost(long CostNanos, long ChargeNanos, string PriceVersion, bool Priced)
{
    public const long NanosPerDollar = Common.Nanodollars.PerDollar;

    public static Cost Free(string version) => new(0, 0, version, Priced: true);

    public static Cost Unpriced(string version) => new(0, 0, version, Priced: false);

    /// <summary>The charge in dollars as the <c>x-tollgate-cost</c> header shows it, without trailing zeros.</summary>
    public string ChargeDollars => (ChargeNanos / (decimal)NanosPerDollar).ToString("0.#########", System.Globalization.CultureInfo.InvariantCulture);
}
