using Tollgate.Catalog;

namespace Tollgate.Metering.Queries;

public enum UsageInterval
{
    Hour,
    Day,
    Month,
}

/// <summary>
/// A metric over a window: for one customer, some (<see cref="Customers"/>) or all, with extra property filters on top of the metric's own, grouped
/// by properties (or <c>customer_id</c>) and optionally by hour, day or month.
/// </summary>
public sealed record UsageQuery(
    Metric Metric,
    string? CustomerId,
    Period Window,
    IReadOnlyDictionary<string, string[]> Filters,
    IReadOnlyList<string> GroupBy,
    UsageInterval? Interval = null,
    IReadOnlyList<string>? Customers = null)
{
    /// <summary>Groups by the customer rather than by an event property.</summary>
    public const string CustomerDimension = "customer_id";

    public static UsageQuery Total(Metric metric, string customerId, Period window) =>
        new(metric, customerId, window, new Dictionary<string, string[]>(), []);
}

/// <summary>One row of a usage answer: the group's values (in the order asked), the interval it starts, and the metric's value.</summary>
public sealed record UsageRow(IReadOnlyList<string?> Group, DateTimeOffset? Start, decimal? Value);
