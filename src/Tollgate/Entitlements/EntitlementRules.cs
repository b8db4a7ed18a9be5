using Tollgate.Catalog;

namespace Tollgate.Entitlements;

/// <summary>Decides a check from an entitlement and what is used; no I/O.</summary>
public static class EntitlementRules
{
    /// <summary>
    /// <paramref name="used"/> is the quota's usage this period, or for a limit how many the customer has now;
    /// <paramref name="quantity"/> is how many more they want; <paramref name="grants"/> is what grants add to a quota this period.
    /// </summary>
    public static EntitlementDecision Decide(Feature feature, Entitlement? entitlement, decimal used, long quantity, DateTimeOffset? resetsAt,
        Grants.GrantCapacity grants = default)
    {
        if (entitlement is null) return Refused(feature, EntitlementReasons.NotInPlan, null);
        if (feature.Type == FeatureType.Boolean)
        {
            return entitlement.Enabled
                ? new(feature.Code, feature.Type, true, EntitlementReasons.Enabled, null, null, false, null, null, null, null, entitlement.Source)
                : Refused(feature, EntitlementReasons.Disabled, entitlement.Source);
        }

        var reset = feature.Type == FeatureType.Quota ? resetsAt : null;
        if (entitlement.Unlimited)
        {
            return new(feature.Code, feature.Type, true, EntitlementReasons.Unlimited, null, null, true, used, null, reset, entitlement.Enforcement, entitlement.Source);
        }

        var limit = entitlement.EffectiveLimit!.Value;
        var quota = feature.Type == FeatureType.Quota && entitlement.Enabled;
        var raise = quota ? grants.Raise : 0;
        var remaining = Math.Max(0, limit + raise - used);
        var (allowed, reason) = used + quantity <= limit + raise
            ? (true, EntitlementReasons.WithinLimit)
            : entitlement.Enforcement switch
            {
                Enforcement.Soft => (true, EntitlementReasons.OverLimitSoft),
                Enforcement.Notify => (true, EntitlementReasons.OverLimitNotify),
                _ => (false, entitlement.Enabled ? EntitlementReasons.LimitReached : EntitlementReasons.Disabled),
            };
        return new(feature.Code, feature.Type, allowed, reason, limit, quota ? grants.Granted : null, false, used, remaining, reset, entitlement.Enforcement, entitlement.Source);
    }

    static EntitlementDecision Refused(Feature feature, string reason, string? source) =>
        new(feature.Code, feature.Type, false, reason, null, null, false, null, null, null, null, source);

    /// <summary>Applies a customer's override on top of what their plan grants (or grants what the plan does not).</summary>
    public static Entitlement Apply(Feature feature, Metric? metric, Entitlement? fromPlan, EntitlementOverride change)
    {
        var enabled = change.Enabled ?? fromPlan?.Enabled ?? true;
        long? limit = change.Unlimited ? null : change.Limit ?? fromPlan?.Limit;
        if (feature.Type != FeatureType.Boolean && !change.Unlimited && change.Limit is null && fromPlan is null) limit = 0;
        return new Entitlement(feature, metric, enabled, feature.Type == FeatureType.Boolean ? null : limit,
            change.Enforcement ?? fromPlan?.Enforcement ?? Enforcement.Hard, Entitlement.FromOverride);
    }

    public static Common.ApiError? Check(Feature feature, OverrideRequest request)
    {
        var v = new Common.Validation();
        if (feature.Type == FeatureType.Boolean)
        {
            if (request.Limit is not null || request.Unlimited is not null || request.Enforcement is not null)
            {
                v.Add("limit", $"'{feature.Code}' is a boolean feature: only 'enabled' applies.");
            }

            if (request.Enabled is null) v.Add("enabled", "is required for a boolean feature.");
        }
        else
        {
            if (request.Limit is < 0) v.Add("limit", "must be 0 or more.");
            if (request.Limit is not null && request.Unlimited == true) v.Add("unlimited", "give a limit or unlimited, not both.");
        }

        v.Text("note", request.Note, false, 1000);
        return v.Failed ? v.ToError() : null;
    }
}
