namespace Tollgate.Catalog;

public enum BillingInterval
{
    Month,
    Year,
}

public enum PlanVersionStatus
{
    Draft,
    Published,
    Archived,
}

/// <summary>Hard refuses past the limit, soft allows and bills the overage, notify only tells.</summary>
public enum Enforcement
{
    Hard,
    Soft,
    Notify,
}

public enum ChargeModel
{
    PerUnit,
    Graduated,
    Volume,
    Package,
    Percentage,
    Flat,
    GraduatedPercentage,
}

public sealed record Plan
{
    public required string Id { get; init; }
    public required string Code { get; init; }
    public required string Name { get; init; }
    public string? Description { get; init; }

    /// <summary>The newest published version: what new subscriptions get.</summary>
    public int? CurrentVersion { get; init; }
    public int LatestVersion { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? ArchivedAt { get; init; }
}

public sealed record PlanVersion
{
    public required string Id { get; init; }
    public required string Plan { get; init; }
    public required int Version { get; init; }
    public required PlanVersionStatus Status { get; init; }
    public required int TrialDays { get; init; }
    public required IReadOnlyList<PriceSpec> Prices { get; init; }
    public required IReadOnlyList<EntitlementSpec> Entitlements { get; init; }
    public required IReadOnlyList<ChargeSpec> Charges { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? PublishedAt { get; init; }

    public PlanVersionSpec ToSpec() => new(TrialDays, [.. Prices], [.. Entitlements], [.. Charges]);
}

/// <summary>
/// A recurring price: <paramref name="Amount"/> in minor units of <paramref name="Currency"/> (2900 USD = $29.00).
/// <paramref name="MinimumAmount"/> is a minimum commitment per subscription and period: when the period's recurring
/// price and usage come to less, its last invoice trues them up to it.
/// </summary>
public sealed record PriceSpec(BillingInterval? Interval, string? Currency, long? Amount, long? MinimumAmount = null);

/// <summary>
/// What a plan grants of one feature: on or off for booleans; a limit (or unlimited) for limits and quotas,
/// with how it is enforced.
/// </summary>
public sealed record EntitlementSpec(string? Feature, bool? Enabled = null, long? Limit = null, bool? Unlimited = null, Enforcement? Enforcement = null);

/// <summary>How usage of one metric is charged, in one currency. Stored here; rated by billing.</summary>
public sealed record ChargeSpec(string? Metric, string? Currency, ChargeModel? Model, ChargeProperties? Properties)
{
    /// <summary>
    /// Whether the charge bills its usage as it accrues (<c>pay_in_advance</c> on a model that rates usage): each invoice
    /// run bills what the period's usage so far has come to beyond what was billed of it, and the period's end the rest.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool BillsUsageInAdvance => Properties?.PayInAdvance == true && Model is not null and not ChargeModel.Flat;
}

/// <summary>
/// Charge parameters; which are needed depends on the model (docs/catalog.md, "Charges"). Amounts are in minor units
/// and may be fractional (0.2 = a fifth of a cent per unit); a rate is a percent.
/// </summary>
public sealed record ChargeProperties(
    decimal? UnitAmount = null,
    IReadOnlyList<Tier>? Tiers = null,
    long? PackageSize = null,
    long? PackageAmount = null,
    long? FreeUnits = null,
    decimal? Rate = null,
    decimal? FixedAmount = null,
    long? MinimumAmount = null,
    decimal? PerEventFee = null,
    long? FreeEvents = null,
    decimal? PerEventMinimum = null,
    decimal? PerEventMaximum = null,
    bool? PayInAdvance = null);

/// <summary>
/// A pricing tier up to <paramref name="UpTo"/> units (null: no end), priced per unit, or for graduated_percentage at a
/// <paramref name="Rate"/> (a percent) of its share of the quantity; <paramref name="FlatAmount"/> is charged once when
/// the quantity enters the tier.
/// </summary>
public sealed record Tier(long? UpTo, decimal? UnitAmount, long? FlatAmount = null, decimal? Rate = null);

public sealed record PlanVersionSpec(
    int? TrialDays = null,
    List<PriceSpec>? Prices = null,
    List<EntitlementSpec>? Entitlements = null,
    List<ChargeSpec>? Charges = null);

public sealed record CreatePlanRequest(string? Code, string? Name, string? Description = null, PlanVersionSpec? Version = null, bool? Publish = null);

public sealed record UpdatePlanRequest(string? Name = null, string? Description = null);
