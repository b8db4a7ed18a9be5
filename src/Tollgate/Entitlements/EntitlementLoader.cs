using System.Data.Common;
using Dapper;
using Tollgate.Catalog;

namespace Tollgate.Entitlements;

/// <summary>
/// Reads a customer's entitlements: their plan's version (the one their subscription pinned, or else the current published
/// one), their overrides on top, and their grants, with the features and metrics of the node's catalog snapshot
/// (<see cref="CatalogSnapshot"/>, not re-read for every load); all on the caller's connection, so a burst of loads never
/// waits on a second connection while holding one.
/// </summary>
public sealed class EntitlementLoader(CatalogSnapshot catalog, TimeProvider time)
{
    /// <summary>
    /// The quota limits of earlier plans' pinned versions, read once: a published version never changes, and every load
    /// of a customer whose plan changed within the history kept asks for them again (every few seconds while it is active).
    /// </summary>
    readonly Common.LruCache<(string Plan, int Version), IReadOnlyDictionary<string, (bool Enabled, long? Limit)>> _earlierLimits =
        new(4_096, 4_096, (_, _) => 1);

    public async Task<EntitlementSet> LoadAsync(DbConnection connection, string customerId, string? planCode, int? planVersion, CancellationToken ct)
    {
        var view = await catalog.GetAsync(connection, ct);
        var (features, metrics) = (view.Features, view.Metrics);
        Metric? MetricOf(Feature f) => f.Metric is { } code ? metrics.GetValueOrDefault(code) : null;

        var result = new Dictionary<string, Entitlement>(StringComparer.Ordinal);
        if (planCode is not null)
        {
            foreach (var row in await PlanLimitsAsync(connection, planCode, planVersion))
            {
                if (!features.TryGetValue(row.Feature, out var feature)) continue;
                result[row.Feature] = new Entitlement(feature, MetricOf(feature), row.Enabled, feature.Type == FeatureType.Boolean ? null : row.Limit,
                    OverrideStore.ParseEnforcement(row.Enforcement) ?? Enforcement.Hard, Entitlement.FromPlan);
            }

            await AddEarlierPlansAsync(connection, customerId, planCode, result);
        }

        foreach (var change in await OverrideStore.ListAsync(connection, customerId))
        {
            if (!features.TryGetValue(change.Feature, out var feature)) continue;
            result[change.Feature] = EntitlementRules.Apply(feature, MetricOf(feature), result.GetValueOrDefault(change.Feature), change);
        }

        var now = time.GetUtcNow();
        foreach (var grants in (await Grants.GrantStore.ListAsync(connection, customerId)).GroupBy(g => g.Feature))
        {
            if (!features.TryGetValue(grants.Key, out var feature) || feature.Type != FeatureType.Quota) continue;
            // Units granted for a quota the plan lacks are all the customer has of it, while any grant is to come or in effect.
            var entitlement = result.GetValueOrDefault(grants.Key);
            if (entitlement is null && grants.Any(g => g.EndsAt is not { } end || end > now))
            {
                entitlement = new Entitlement(feature, MetricOf(feature), true, 0, Enforcement.Hard, Entitlement.FromGrant);
            }

            if (entitlement is null) continue;
            result[grants.Key] = entitlement with { Grants = [.. grants] };
        }

        return new EntitlementSet(customerId, planCode, result);
    }

    /// <summary>
    /// Gives each quota of the plan the limits the customer's earlier plans had of it over the history kept
    /// (<see cref="Customers.CustomerPlans"/>), for <see cref="Entitlement.Over"/>. A time with no plan counts as the plan
    /// that came after it.
    /// </summary>
    async Task AddEarlierPlansAsync(DbConnection connection, string customerId, string planCode, Dictionary<string, Entitlement> result)
    {
        if (!result.Values.Any(e => e.Feature.Type == FeatureType.Quota)) return;
        var history = await Customers.CustomerPlans.SinceAsync(connection, customerId, time.GetUtcNow() - Customers.CustomerPlans.Kept);
        var spans = new List<Customers.PlanSpan>();
        DateTimeOffset? gap = null;
        foreach (var span in history)
        {
            if (span.Plan is null) { gap ??= span.Since; continue; }
            spans.Add(span with { Since = gap ?? span.Since });
            gap = null;
        }

        if (spans.Count < 2 || gap is not null || spans[^1].Plan != planCode) return;
        var earlier = new List<(DateTimeOffset Since, IReadOnlyDictionary<string, (bool Enabled, long? Limit)> Limits)>();
        foreach (var span in spans[..^1]) earlier.Add((span.Since, await EarlierLimitsAsync(connection, span.Plan!, span.Version)));

        foreach (var (code, entitlement) in result.Where(e => e.Value is { Feature.Type: FeatureType.Quota, Source: Entitlement.FromPlan }).ToList())
        {
            result[code] = entitlement with
            {
                PlanSince = spans[^1].Since,
                EarlierPlans = [.. earlier.Select(e => new LimitSpan(e.Since, e.Limits.TryGetValue(code, out var l) && l.Enabled ? l.Limit : 0))],
            };
        }
    }

    /// <summary>The enabled flag and limit of each feature of an earlier plan's version, from the cache when pinned.</summary>
    async Task<IReadOnlyDictionary<string, (bool Enabled, long? Limit)>> EarlierLimitsAsync(DbConnection connection, string plan, int? version)
    {
        if (version is { } pinned && _earlierLimits.TryGet((plan, pinned), out var known)) return known;
        IReadOnlyDictionary<string, (bool Enabled, long? Limit)> limits = (await PlanLimitsAsync(connection, plan, version)).ToDictionary(r => r.Feature, r => (r.Enabled, r.Limit), StringComparer.Ordinal);
        if (version is { } number) _earlierLimits.Set((plan, number), limits);
        return limits;
    }

    /// <summary>The entitlements of a plan's version (null: its current published one).</summary>
    static Task<IEnumerable<(string Feature, bool Enabled, long? Limit, string Enforcement)>> PlanLimitsAsync(DbConnection connection, string planCode, int? planVersion) =>
        connection.QueryAsync<(string Feature, bool Enabled, long? Limit, string Enforcement)>(
            """
            SELECT f.code, e.enabled, e.limit_value, e.enforcement
            FROM plans p
            JOIN plan_versions v ON v.plan_id = p.id
            JOIN plan_entitlements e ON e.plan_version_id = v.id
            JOIN features f ON f.id = e.feature_id
            WHERE p.code = @plan AND (@version IS NOT NULL OR p.archived_at IS NULL)
              AND v.version = COALESCE(@version, (SELECT MAX(x.version) FROM plan_versions x WHERE x.plan_id = p.id AND x.status = 'published'))
            """,
            new { plan = planCode, version = planVersion });
}
