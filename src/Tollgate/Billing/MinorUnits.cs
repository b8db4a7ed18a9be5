namespace Tollgate.Billing;

/// <summary>
/// The one place where billing rounds. Amounts are rated in decimal minor units (a charge may cost 0.2 of a cent per
/// unit) and every invoice line is rounded once, to a whole minor unit of its currency, half away from zero (0.5 → 1,
/// −0.5 → −1), so whatever the currency's exponent (JPY 0, USD 2, KWD 3) a line is an integer of its minor units. Sums
/// of lines are exact; tax is computed on such sums and rounded here once per rate.
/// </summary>
public static class MinorUnits
{
    /// <summary>Rounds half away from zero; throws <see cref="OverflowException"/> when the result is not a long.</summary>
    public static long Round(decimal amount) => decimal.ToInt64(Math.Round(amount, 0, MidpointRounding.AwayFromZero));
}
