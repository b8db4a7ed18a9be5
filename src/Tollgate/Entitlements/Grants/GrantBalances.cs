using Tollgate.Catalog;
using Tollgate.Metering.Queries;

namespace Tollgate.Entitlements.Grants;

/// <summary>What a customer's grants add to a quota now, and what each has left, from the stored usage.</summary>
public sealed class GrantBalances(QuotaUsageCache usage)
{
    /// <summary>What grants add to the quota's period in progress: nothing without grants or for an unlimited or switched-off quota.</summary>
    public async ValueTask<GrantCapacity> CapacityAsync(string customerId, Entitlement entitlement, DateTimeOffset now, CancellationToken ct)
    {
        if (entitlement.Grants.Count == 0 || !entitlement.Enabled || entitlement.Unlimited) return GrantCapacity.None;
        return (await AllocateAsync(customerId, entitlement, entitlement.Grants, now, false, ct)).Capacity;
    }

    /// <summary>Each grant as it stands now; <paramref name="entitlement"/> is the customer's for the grants' feature, if they have one.</summary>
    public async Task<IReadOnlyList<GrantView>> ViewAsync(string customerId, IReadOnlyList<Grant> grants, Entitlement? entitlement, DateTimeOffset now, CancellationToken ct)
    {
        var allocation = entitlement is null ? GrantAllocation.None : await AllocateAsync(customerId, entitlement, grants, now, true, ct);
        return [.. grants.Select(g =>
        {
            var remaining = allocation.Remaining.TryGetValue(g.Id, out var left) ? left : g.Amount;
            return new GrantView(g.Id, g.CustomerId, g.Feature, g.Kind, GrantRules.StatusOf(g, remaining, now), g.Amount, g.Amount - remaining, remaining,
                g.EffectiveAt, g.ExpiresAt, g.VoidedAt, g.Reference, g.Note, g.CreatedAt);
        })];
    }

    async ValueTask<GrantAllocation> AllocateAsync(string customerId, Entitlement entitlement, IReadOnlyList<Grant> grants, DateTimeOffset now, bool all, CancellationToken ct)
    {
        if (entitlement.Metric is not { Aggregation: Aggregation.Count or Aggregation.Sum } metric) return GrantAllocation.None;
        Period PeriodOf(DateTimeOffset at) => Periods.Of(entitlement.Feature, at);
        var cuts = GrantTimeline.Cuts(grants, PeriodOf, now, all);
        decimal[] totals = cuts.Count < 2 ? [] : await usage.SegmentsAsync(customerId, metric, cuts, now, ct);
        return GrantTimeline.Allocate(period => entitlement.Over(period).EffectiveLimit ?? 0, grants, PeriodOf, cuts, totals, now);
    }
}
