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

    /// <summary>
    /// The limits of this quota under the customer's earlier plans, oldest first, each from its <see cref="LimitSpan.Since"/>
    /// to the next; the plan's own limit holds from <see cref="PlanSince"/>. Empty when the plan never changed.
    /// </summary>
    public IReadOnlyList<LimitSpan> EarlierPlans { get; init; } = [];

    /// <summary>Since when the customer has had the plan this quota comes from, when it changed from another within the history kept.</summary>
    public DateTimeOffset? PlanSince { get; init; }

    /// <summary>
    /// This entitlement over one quota period: when the plan changed inside it, the limit is each plan's limit for its
    /// share of the period, summed and rounded down, so that moving to a larger plan late in a period grants only the
    /// part of its quota that is left, and moving to a smaller one keeps what the larger one gave until then. An earlier
    /// unlimited plan counts at this plan's limit. Unchanged otherwise, and for an unlimited or switched-off quota. Its
    /// result is the period's own: taken over the period again, it stays as it is.
    /// </summary>
    public Entitlement Over(Metering.Queries.Period period)
    {
        if (EarlierPlans.Count == 0 || PlanSince is not { } since || since <= period.Start || since >= period.End || EffectiveLimit is not { } limit || limit == 0) return this;
        var length = (decimal)(period.End - period.Start).Ticks;
        decimal Share(DateTimeOffset from, DateTimeOffset to) => (to - from).Ticks / length;
        var total = limit * Share(since, period.End);
        for (var i = 0; i < EarlierPlans.Count; i++)
        {
            var from = i == 0 ? period.Start : Max(EarlierPlans[i].Since, period.Start);
            var to = Min(i + 1 < EarlierPlans.Count ? EarlierPlans[i + 1].Since : since, period.End);
            if (to > from) total += (EarlierPlans[i].Limit ?? limit) * Share(from, to);
        }

        // Shares carry division error far below a unit. The limit answered is the period's: its plan history is spent.
        return this with { Limit = (long)decimal.Floor(decimal.Round(total, 9)), EarlierPlans = [], PlanSince = null };

        static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
        static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
    }
}

/// <summary>A quota's limit under one of a customer's earlier plans, from <paramref name="Since"/> (null: unlimited; 0: the plan lacked it).</summary>
public sealed record LimitSpan(DateTimeOffset Since, long? Limit);

/// <summary>A customer's entitlements by feature code; a feature that is absent is not granted.</summary>
public sealed record EntitlementSet(string CustomerId, string? Plan, IReadOnlyDictionary<string, Entitlement> Features)
{
    public bool Enables(string feature) => Features.TryGetValue(feature, out var e) && e.Enabled;
}

/// <summary>A per-customer change to one feature: switched on or off, another limit, unlimited, or another enforcement.</summary>
public sealed record EntitlementOverride(string CustomerId, string Feature, bool? Enabled, long? Limit, bool Unlimited, Enforcement? Enforcement, string? Note, DateTimeOffset UpdatedAt);

public sealed record OverrideRequest(bool? Enabled = null, long? Limit = null, bool? Unlimited = null, Enforcement? Enforcement = null, string? Note = null);
