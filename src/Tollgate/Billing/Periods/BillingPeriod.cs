using Tollgate.Catalog;

namespace Tollgate.Billing.Periods;

/// <summary>
/// One billing period, <c>[Start, End)</c>. Periods are counted from the subscription's billing anchor: the n-th
/// period starts n intervals after it, each computed from the anchor itself, so an anchor on the 31st bills on the
/// 31st, or on the last day of a shorter month (31 January → 28 February → 31 March), and never drifts.
/// </summary>
public readonly record struct BillingPeriod(DateTimeOffset Start, DateTimeOffset End)
{
    public TimeSpan Length => End - Start;

    public bool Contains(DateTimeOffset instant) => instant >= Start && instant < End;

    /// <summary>The period numbered <paramref name="index"/> (0 is the one starting at the anchor).</summary>
    public static BillingPeriod Numbered(DateTimeOffset anchor, BillingInterval interval, int index) =>
        new(Shift(anchor, interval, index), Shift(anchor, interval, checked(index + 1)));

    /// <summary>The period that holds <paramref name="instant"/>; an instant before the anchor is in period 0.</summary>
    public static BillingPeriod At(DateTimeOffset anchor, BillingInterval interval, DateTimeOffset instant) =>
        Numbered(anchor, interval, IndexAt(anchor, interval, instant));

    public static int IndexAt(DateTimeOffset anchor, BillingInterval interval, DateTimeOffset instant)
    {
        if (instant <= anchor) return 0;
        var months = (instant.Year - anchor.Year) * 12 + instant.Month - anchor.Month;
        var index = interval == BillingInterval.Year ? months / 12 : months;
        while (index > 0 && Shift(anchor, interval, index) > instant) index--;
        while (Shift(anchor, interval, index + 1) <= instant) index++;
        return index;
    }

    static DateTimeOffset Shift(DateTimeOffset anchor, BillingInterval interval, int count) =>
        interval == BillingInterval.Year ? anchor.AddYears(count) : anchor.AddMonths(count);
}
