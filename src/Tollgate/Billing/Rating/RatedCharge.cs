namespace Tollgate.Billing.Rating;

/// <summary>
/// What a charge is rated on for one period: the metric's quantity, the number of events behind it, and, where a model
/// charges each event on its own (percentage with per-event fees, minimums or maximums), each event's value in order.
/// </summary>
public sealed record ChargeUsage(decimal Quantity, long Events = 0, IReadOnlyList<decimal>? EventValues = null);

public enum LineKind
{
    /// <summary>A fixed amount for the period, whatever the usage.</summary>
    Fixed,

    /// <summary>Units at one price (per_unit).</summary>
    Units,

    /// <summary>The units of one tier (graduated, volume, graduated_percentage), with its flat amount.</summary>
    Tier,

    /// <summary>Started packages of units.</summary>
    Packages,

    /// <summary>A percent of the quantity (percentage).</summary>
    Rate,

    /// <summary>A fee for each charged event (percentage).</summary>
    EventFees,

    /// <summary>Events charged one by one (percentage with a per-event minimum or maximum).</summary>
    Events,

    /// <summary>The true-up to a charge's minimum commitment.</summary>
    Minimum,
}

/// <summary>
/// One line of a rated charge. <see cref="Amount"/> is rounded once (<see cref="MinorUnits"/>); the other numbers
/// show how it came about: the quantity, the price per unit or the rate, a tier's bounds and flat amount.
/// </summary>
public sealed record RatedLine(LineKind Kind, string Description, decimal Quantity, long Amount)
{
    public decimal? UnitAmount { get; init; }
    public decimal? Rate { get; init; }
    public long? FlatAmount { get; init; }
    public decimal? From { get; init; }
    public long? UpTo { get; init; }
}

/// <summary>A charge's lines for a period; <see cref="Amount"/> is their sum.</summary>
public sealed record RatedCharge(IReadOnlyList<RatedLine> Lines)
{
    public long Amount { get; } = Lines.Sum(l => l.Amount);
}
