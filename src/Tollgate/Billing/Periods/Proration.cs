namespace Tollgate.Billing.Periods;

/// <summary>What a proration line is for: the unused time of the price left, or the remaining time of the new one.</summary>
public enum ProrationKind
{
    UnusedTime,
    RemainingTime,
}

/// <summary>
/// One side of a mid-period change: a credit (negative) for the unused time on the old price, or a charge for the
/// remaining time on the new one, over <c>[From, To)</c>.
/// </summary>
public sealed record ProrationLine(ProrationKind Kind, string Description, DateTimeOffset From, DateTimeOffset To, long Quantity, decimal UnitAmount, long Amount);

/// <summary>
/// Proration to the second: a change at <c>at</c> within a period credits the old price for the seconds left and
/// charges the new price for the same seconds, each line rounded once (<see cref="MinorUnits"/>). A $10 plan changed to
/// $20 halfway through its period gives −$5 and +$10: $5 due, as in Stripe's example.
/// </summary>
public static class Proration
{
    public static IReadOnlyList<ProrationLine> For(
        BillingPeriod period, DateTimeOffset at, long oldUnitAmount, long oldQuantity, long newUnitAmount, long newQuantity,
        string oldName, string newName)
    {
        var lines = new List<ProrationLine>(2);
        if (Line(ProrationKind.UnusedTime, period, at, oldUnitAmount, oldQuantity, Describe(oldName, oldQuantity)) is { } credit) lines.Add(credit);
        if (Line(ProrationKind.RemainingTime, period, at, newUnitAmount, newQuantity, Describe(newName, newQuantity)) is { } charge) lines.Add(charge);
        return lines;
    }

    /// <summary>
    /// One side of a change at <paramref name="at"/> within <paramref name="period"/>: the price's share of the seconds
    /// left, rounded once, negative for unused time; none at the period's start, outside it, or for nothing.
    /// </summary>
    public static ProrationLine? Line(ProrationKind kind, BillingPeriod period, DateTimeOffset at, decimal unitAmount, long quantity, string name)
    {
        var amount = unitAmount * quantity;
        if (!period.Contains(at) || at == period.Start || amount == 0) return null;
        var prorated = MinorUnits.Round(amount * Share(period.End - at, period.Length));
        return kind == ProrationKind.UnusedTime
            ? new ProrationLine(kind, $"Unused time on {name}", at, period.End, quantity, unitAmount, -prorated)
            : new ProrationLine(kind, $"Remaining time on {name}", at, period.End, quantity, unitAmount, prorated);
    }

    /// <summary>What part of <paramref name="whole"/> <paramref name="part"/> is, counted in whole seconds: every proration's share.</summary>
    public static decimal Share(TimeSpan part, TimeSpan whole) =>
        decimal.Floor((decimal)part.Ticks / TimeSpan.TicksPerSecond) / decimal.Floor((decimal)whole.Ticks / TimeSpan.TicksPerSecond);

    static string Describe(string name, long quantity) => quantity == 1 ? name : $"{quantity} × {name}";
}
