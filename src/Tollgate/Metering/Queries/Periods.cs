using Tollgate.Catalog;

namespace Tollgate.Metering.Queries;

/// <summary>A half-open span of time, [Start, End): the period usage is counted in.</summary>
public readonly record struct Period(DateTimeOffset Start, DateTimeOffset End)
{
    public bool Contains(DateTimeOffset at) => at >= Start && at < End;
}

/// <summary>
/// Where periods start and end, in UTC. Calendar periods start at midnight, on Mondays (ISO weeks), on the 1st of
/// the month and on 1 January. An anchored period starts at the anchor's time of day and, for months, on its day of
/// the month, moved to the month's last day when the month is shorter (anchored on the 31st: 30 April, then 31 May).
/// </summary>
public static class Periods
{
    /// <summary>The period a quota feature's usage counts in at <paramref name="at"/>: by its reset period, monthly if it has none.</summary>
    public static Period Of(Feature quota, DateTimeOffset at) => Containing(quota.ResetPeriod ?? ResetPeriod.Month, at);

    public static Period Containing(ResetPeriod period, DateTimeOffset at, DateTimeOffset? anchor = null)
    {
        at = at.ToUniversalTime();
        return anchor is { } a ? Anchored(period, at, a.ToUniversalTime()) : Calendar(period, at);
    }

    static Period Calendar(ResetPeriod period, DateTimeOffset at)
    {
        var day = new DateTimeOffset(at.Year, at.Month, at.Day, 0, 0, 0, TimeSpan.Zero);
        return period switch
        {
            ResetPeriod.Day => new(day, day.AddDays(1)),
            ResetPeriod.Week => Week(day),
            ResetPeriod.Month => new(day.AddDays(1 - at.Day), day.AddDays(1 - at.Day).AddMonths(1)),
            ResetPeriod.Year => new(new DateTimeOffset(at.Year, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(at.Year + 1, 1, 1, 0, 0, 0, TimeSpan.Zero)),
            _ => throw new ArgumentOutOfRangeException(nameof(period)),
        };

        static Period Week(DateTimeOffset day)
        {
            var monday = day.AddDays(-(((int)day.DayOfWeek + 6) % 7));
            return new(monday, monday.AddDays(7));
        }
    }

    static Period Anchored(ResetPeriod period, DateTimeOffset at, DateTimeOffset anchor)
    {
        switch (period)
        {
            case ResetPeriod.Day:
            case ResetPeriod.Week:
            {
                var length = period == ResetPeriod.Day ? TimeSpan.FromDays(1) : TimeSpan.FromDays(7);
                var steps = (long)Math.Floor((at - anchor).Ticks / (double)length.Ticks);
                var start = anchor + length * steps;
                // Floating point can land one step off for far dates; correct it exactly.
                while (start > at) start -= length;
                while (start + length <= at) start += length;
                return new(start, start + length);
            }

            default:
            {
                var months = period == ResetPeriod.Month ? 1 : 12;
                var elapsed = (at.Year - anchor.Year) * 12 + at.Month - anchor.Month;
                var n = elapsed - (((elapsed % months) + months) % months);
                var start = AddMonths(anchor, n);
                while (start > at) start = AddMonths(anchor, n -= months);
                while (AddMonths(anchor, n + months) <= at) n += months;
                return new(AddMonths(anchor, n), AddMonths(anchor, n + months));
            }
        }
    }

    /// <summary>The anchor moved by whole months, on the anchor's day or the month's last day if shorter.</summary>
    static DateTimeOffset AddMonths(DateTimeOffset anchor, int months)
    {
        var firstOfMonth = new DateTimeOffset(anchor.Year, anchor.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(months);
        var day = Math.Min(anchor.Day, DateTime.DaysInMonth(firstOfMonth.Year, firstOfMonth.Month));
        return firstOfMonth.AddDays(day - 1) + anchor.TimeOfDay;
    }
}
