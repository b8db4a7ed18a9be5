using Tollgate.Catalog;
using Tollgate.Common;

namespace Tollgate.Limits;

/// <summary>What a limit counts: requests and tokens in a window, requests at once, or money spent in a period.</summary>
public enum LimitMeasure
{
    Requests,
    Tokens,
    Concurrent,
    Spend,
}

/// <summary>What a limit is set on: every customer of a plan, one customer, or one key.</summary>
public enum LimitScope
{
    Plan,
    Customer,
    Key,
}

/// <summary>Who is counted separately: the customer as a whole, each of its keys, or each of its end users.</summary>
public enum LimitPer
{
    Customer,
    Key,
    EndUser,
}

/// <summary>The window requests and tokens are counted in; spend uses day, week or month.</summary>
public enum LimitWindow
{
    Minute,
    Hour,
    Day,
    Week,
    Month,
}

/// <summary>
/// One rate limit or budget. Set on a <see cref="Scope"/> (<see cref="Target"/> names the plan, customer or key), it
/// counts <see cref="Measure"/> separately <see cref="Per"/> customer, key or end user, within <see cref="Window"/>
/// (calendar-aligned, or from the customer's billing anchor when <see cref="Anchored"/>). <see cref="Amount"/> is a
/// count, or for spend billionths of a US dollar. A hard limit refuses; a notify limit only raises its alerts at
/// <see cref="Thresholds"/> percent.
/// </summary>
public sealed record Limit
{
    public required string Id { get; init; }
    public required LimitScope Scope { get; init; }
    public required string Target { get; init; }
    public required LimitPer Per { get; init; }
    public required LimitMeasure Measure { get; init; }
    public required long Amount { get; init; }
    public LimitWindow? Window { get; init; }
    public bool Anchored { get; init; }
    public required Enforcement Enforcement { get; init; }
    public required IReadOnlyList<int> Thresholds { get; init; }
    public string? Description { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>For spend limits, the amount in dollars, as clients read and write it.</summary>
    public decimal? AmountUsd => Measure == LimitMeasure.Spend ? Amount / (decimal)Nanodollars.PerDollar : null;
}

/// <summary>
/// A limit as written by an operator. Spend limits take <see cref="AmountUsd"/>; the others <see cref="Amount"/>.
/// </summary>
public sealed record LimitRequest(
    LimitScope? Scope,
    string? Target,
    LimitMeasure? Measure,
    long? Amount = null,
    decimal? AmountUsd = null,
    LimitPer? Per = null,
    LimitWindow? Window = null,
    bool? Anchored = null,
    Enforcement? Enforcement = null,
    List<int>? Thresholds = null,
    string? Description = null);
