using Tollgate.Catalog;

namespace Tollgate.Entitlements;

/// <summary>
/// What a customer has of one feature, after their plan and any override for them: on or off, and for limits and
/// quotas the limit (null: unlimited) and how it is enforced. <see cref="Metric"/> is the quota's metric. A quota's
/// <see cref="Grants"/> add units beyond the limit.
/// </summary>
public sealed record Entitlement(Feature Feature, Metric? Metric, bool Enabled, long? Limit, Enforcement Enforcement, string Source)
{
    public const string FromPlan = "plan";
    public const string FromOverride = "override";
    public const string FromGrant = "grant";

    /// <summary>The customer's grants and top-ups of this quota, in effect or not.</summary>
    public IReadOnlyList<Grants.Grant> Grants { get; init; } = [];

    public bool Unlimited => Enabled && Feature.Type != FeatureType.Boolean && Limit is null;

    /// <summary>The most that may be used: 0 when switched off, null when unlimited.</summary>
    public long? EffectiveLimit => Enabled ? Limit : 0;
}

/// <summary>A customer's entitlements by feature code; a feature that is absent is not granted.</summary>
public sealed record EntitlementSet(string CustomerId, string? Plan, IReadOnlyDictionary<string, Entitlement> Features)
{
    public bool Enables(string feature) => Features.TryGetValue(feature, out var e) && e.Enabled;
}

/// <summary>A per-customer change to one feature: switched on or off, another limit, unlimited, or another enforcement.</summary>
public sealed record EntitlementOverride(string CustomerId, string Feature, bool? Enabled, long? Limit, bool Unlimited, Enforcement? Enforcement, string? Note, DateTimeOffset UpdatedAt);

public sealed record OverrideRequest(bool? Enabled = null, long? Limit = null, bool? Unlimited = null, Enforcement? Enforcement = null, string? Note = null);
