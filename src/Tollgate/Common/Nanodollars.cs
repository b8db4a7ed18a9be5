namespace Tollgate.Common;

/// <summary>Amounts of usage cost and spend limits are counted in billionths of a US dollar: a token's price is never rounded to zero.</summary>
public static class Nanodollars
{
    public const long PerDollar = 1_000_000_000;
}
