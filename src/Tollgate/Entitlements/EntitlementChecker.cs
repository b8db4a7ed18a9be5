using Tollgate.Catalog;
using Tollgate.Entitlements.Grants;
using Tollgate.Entitlements.Access;
using Tollgate.Metering.Queries;

namespace Tollgate.Entitlements;

/// <summary>Answers checks: the customer's entitlement from memory, a quota's usage this period from the stored events (cached until more are stored).</summary>
public sealed class EntitlementChecker(CatalogStore catalog, QuotaUsageCache usage, GrantBalances grants, TimeProvider time)
{
    public async Task<EntitlementDecision?> CheckAsync(CustomerAccess customer, string featureCode, long quantity, long current, CancellationToken ct)
    {
        var entitlement = customer.Entitlements.Features.GetValueOrDefault(featureCode);
        var feature = entitlement?.Feature ?? await catalog.GetFeatureAsync(featureCode, ct);
        return feature is null ? null : await DecideAsync(customer.CustomerId, feature, entitlement, quantity, current, ct);
    }

    public async Task<IReadOnlyList<EntitlementDecision>> ListAsync(CustomerAccess customer, CancellationToken ct)
    {
        var decisions = new List<EntitlementDecision>();
        foreach (var feature in await catalog.ListFeaturesAsync(ct))
        {
            decisions.Add(await DecideAsync(customer.CustomerId, feature, customer.Entitlements.Features.GetValueOrDefault(feature.Code), 1, 0, ct));
        }

        return decisions;
    }

    async Task<EntitlementDecision> DecideAsync(string customerId, Feature feature, Entitlement? entitlement, long quantity, long current, CancellationToken ct)
    {
        if (feature.Type != FeatureType.Quota || entitlement is null) return EntitlementRules.Decide(feature, entitlement, current, quantity, null);
        var now = time.GetUtcNow();
        var period = Periods.Of(feature, now);
        var quota = entitlement.Over(period);
        var used = quota.Metric is { } metric
            ? await usage.TotalAsync(customerId, metric, period, ct)
            : 0;
        var granted = await grants.CapacityAsync(customerId, entitlement, now, ct); // each period's own allowance, from the plan history
        return EntitlementRules.Decide(feature, quota, used, quantity, period.End, granted);
    }
}
