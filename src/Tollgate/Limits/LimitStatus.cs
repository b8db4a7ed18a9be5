using Tollgate.Common;


namespace Tollgate.Limits;

/// <summary>
/// A limit as it stands for one customer now: what has been used in the current period, what remains and when it
/// resets. Usage is shown for limits counted per customer; limits counted per key or end user list their definition only.
/// </summary>
public sealed record LimitStatus(Limit Limit, long? Used, long? Remaining, DateTimeOffset? ResetsAt)
{
    public decimal? UsedUsd => Limit.Measure == LimitMeasure.Spend && Used is { } u ? u / (decimal)Nanodollars.PerDollar : null;

    public decimal? RemainingUsd => Limit.Measure == LimitMeasure.Spend && Remaining is { } r ? r / (decimal)Nanodollars.PerDollar : null;
}
