using Tollgate.Catalog;

namespace Tollgate.Entitlements;

/// <summary>
/// The answer to "may this customer use this feature (this much more)?": allowed or not and why, with the limit, what
/// is used, what remains and when a quota resets. <see cref="Granted"/> is what grants and top-ups add to a quota's
/// <see cref="Limit"/> this period; <see cref="Remaining"/> counts them.
/// </summary>
public sealed record EntitlementDecision(
    string Feature,
    FeatureType Type,
    bool Allowed,
    string Reason,
    long? Limit,
    long? Granted,
    bool Unlimited,
    decimal? Used,
    decimal? Remaining,
    DateTimeOffset? ResetsAt,
    Enforcement? Enforcement,
    string? Source);

/// <summary>The stable reasons of a decision.</summary>
public static class EntitlementReasons
{
    public const string NotInPlan = "not_in_plan";
    public const string Disabled = "disabled";
    public const string Enabled = "enabled";
    public const string Unlimited = "unlimited";
    public const string WithinLimit = "within_limit";
    public const string LimitReached = "limit_reached";
    public const string OverLimitSoft = "over_limit_billed";
    public const string OverLimitNotify = "over_limit_notified";
}

public sealed record CheckRequest(
    string? CustomerId = null,
    string? ExternalCustomerId = null,
    [property: System.ComponentModel.DataAnnotations.Required] string? Feature = null,
    long? Quantity = null,
    long? Current = null);
