namespace Tollgate.Analytics.Goals;

/// <summary>What a goal measures: MRR or ARR (minor units of its currency), paying customers, or the monthly customer churn rate (a fraction, to stay under).</summary>
public enum GoalMetric
{
    Mrr,
    Arr,
    PayingCustomers,
    CustomerChurnRate,
}

/// <summary>A target the operator set: <see cref="Target"/> of <see cref="Metric"/> in <see cref="Currency"/> by <see cref="DueAt"/>.</summary>
public sealed record Goal(string Id, string Name, GoalMetric Metric, string Currency, decimal Target, DateTimeOffset DueAt, DateTimeOffset CreatedAt)
{
    /// <summary>Churn is a goal to stay under; the others to reach.</summary>
    public bool AtMost => Metric == GoalMetric.CustomerChurnRate;
}

/// <summary><c>POST /api/v1/analytics/goals</c>.</summary>
public sealed record CreateGoalRequest(
    [property: System.ComponentModel.DataAnnotations.Required] string? Name,
    [property: System.ComponentModel.DataAnnotations.Required] GoalMetric? Metric,
    [property: System.ComponentModel.DataAnnotations.Required] decimal? Target,
    [property: System.ComponentModel.DataAnnotations.Required] DateTimeOffset? DueAt,
    string? Currency = null);

/// <summary>
/// A goal as it stands: the metric now, the progress toward the target, what it must gain (or lose) each month from
/// now to make it, the trend of the trailing months and where that trend leads by the due date, and whether it does.
/// </summary>
public sealed record GoalStatus(
    string Id, string Name, GoalMetric Metric, string Currency, decimal Target, DateTimeOffset DueAt, decimal Current, decimal? Progress,
    decimal? RequiredPerMonth, decimal TrendPerMonth, decimal Forecast, bool OnTrack, bool Met);
