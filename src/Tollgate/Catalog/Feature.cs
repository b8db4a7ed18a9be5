namespace Tollgate.Catalog;

/// <summary>Boolean: on or off. Limit: a number of things at once (5 chatbots). Quota: usage per period (2,000 queries a month).</summary>
public enum FeatureType
{
    Boolean,
    Limit,
    Quota,
}

public enum ResetPeriod
{
    Day,
    Week,
    Month,
    Year,
}

public sealed record Feature
{
    public required string Id { get; init; }
    public required string Code { get; init; }
    public required string Name { get; init; }
    public string? Description { get; init; }
    public required FeatureType Type { get; init; }

    /// <summary>What is counted, for people: "queries", "chatbots".</summary>
    public string? Unit { get; init; }

    /// <summary>For quotas: the billable metric whose usage counts against the quota.</summary>
    public string? Metric { get; init; }

    /// <summary>For quotas: when usage starts again from zero.</summary>
    public ResetPeriod? ResetPeriod { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    public FeatureSpec ToSpec() => new(Code, Name, Description, Type, Unit, Metric, ResetPeriod);
}

/// <summary>A feature as written in a request or a catalog file.</summary>
public sealed record FeatureSpec(
    string? Code,
    string? Name,
    string? Description = null,
    FeatureType? Type = null,
    string? Unit = null,
    string? Metric = null,
    ResetPeriod? ResetPeriod = null);
