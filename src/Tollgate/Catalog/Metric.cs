namespace Tollgate.Catalog;

public enum Aggregation
{
    Count,
    Sum,
    Max,
    UniqueCount,
    Latest,
}

/// <summary>A billable metric: how usage events of one code add up to a number per period.</summary>
public sealed record Metric
{
    public required string Id { get; init; }
    public required string Code { get; init; }
    public required string Name { get; init; }
    public string? Description { get; init; }
    public required Aggregation Aggregation { get; init; }

    /// <summary>The code of the usage events this metric reads; its own code when not given. Several metrics may read one event code.</summary>
    public string? Event { get; init; }

    /// <summary>The event code this metric aggregates.</summary>
    public string EventCode => Event ?? Code;

    /// <summary>The event property summed, maxed, counted uniquely or taken latest; none for count.</summary>
    public string? Field { get; init; }

    /// <summary>Only events whose property has one of these values count: <c>{"model": ["gpt-4o"]}</c>.</summary>
    public required IReadOnlyDictionary<string, string[]> Filters { get; init; }

    /// <summary>
    /// Whether events may carry a negative <see cref="Field"/> (a correction that lowers a sum). Off by default: a
    /// negative number in any event property is refused unless a metric reading it allows it.
    /// </summary>
    public bool AllowNegative { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    public MetricSpec ToSpec() => new(Code, Name, Description, Aggregation, Field, Filters.ToDictionary(f => f.Key, f => f.Value), Event, AllowNegative ? true : null);
}

/// <summary>A metric as written in a request or a catalog file.</summary>
public sealed record MetricSpec(
    string? Code,
    string? Name,
    string? Description = null,
    Aggregation? Aggregation = null,
    string? Field = null,
    Dictionary<string, string[]>? Filters = null,
    string? Event = null,
    bool? AllowNegative = null);
