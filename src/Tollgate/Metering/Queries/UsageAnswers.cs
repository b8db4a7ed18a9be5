using Tollgate.Catalog;

namespace Tollgate.Metering.Queries;

/// <summary>A metric over a window: the total, and the rows when grouped by properties or time.</summary>
public sealed record UsageAnswer(
    string Metric,
    Aggregation Aggregation,
    string? CustomerId,
    DateTimeOffset From,
    DateTimeOffset To,
    IReadOnlyDictionary<string, string[]> Filters,
    IReadOnlyList<string> GroupBy,
    UsageInterval? Interval,
    decimal? Total,
    IReadOnlyList<UsageAnswerRow> Rows);

public sealed record UsageAnswerRow(IReadOnlyDictionary<string, string?> Group, DateTimeOffset? Start, decimal? Value);

/// <summary>Every metric's value for one customer in the current period, as of now.</summary>
public sealed record CustomerUsage(string CustomerId, DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd, IReadOnlyList<MetricUsage> Metrics);

public sealed record MetricUsage(string Metric, string Name, Aggregation Aggregation, decimal? Value);
