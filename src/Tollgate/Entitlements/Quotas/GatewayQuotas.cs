using System.Text.Json.Nodes;
using Tollgate.Catalog;
using Tollgate.Entitlements.Grants;
using Tollgate.Gateway;
using Tollgate.Gateway.Access;
using Tollgate.Gateway.Reservations;
using Tollgate.Gateway.Usage;
using Tollgate.Metering.Queries;

namespace Tollgate.Entitlements.Quotas;

/// <summary>
/// Hard quotas in the gateway: for every hard quota whose metric reads gateway events, the most the request could
/// count (one request; the prompt estimate plus <c>max_tokens</c> for tokens), against the limit and what grants add
/// to it this period. Notify and soft quotas are not reserved: they never refuse.
/// </summary>
public sealed class GatewayQuotas(UsageAggregator aggregator, GrantBalances grants, TimeProvider time)
{
    public async ValueTask AddAsync(List<Reservation> wanted, CustomerAccess customer, GatewayCaller caller, GatewayRequest request, RequestEstimate estimate, CancellationToken ct)
    {
        foreach (var entitlement in customer.Entitlements.Features.Values)
        {
            if (entitlement is not { Feature.Type: FeatureType.Quota, Enforcement: Enforcement.Hard, Metric: { } metric } || entitlement.Unlimited) continue;
            if (metric.EventCode != GatewayEvents.Code) continue;
            var now = time.GetUtcNow();
            // A quota only grants gave, once they have all ended (while the customer's entitlements are cached), is no longer theirs.
            if (entitlement.Source == Entitlement.FromGrant && !entitlement.Grants.Any(g => g.ActiveAt(now))) continue;
            var amount = Estimate(metric, caller, request, estimate);
            if (amount == 0) continue;

            var period = Periods.Of(entitlement.Feature, now);
            var limit = entitlement.EffectiveLimit!.Value + (await grants.CapacityAsync(customer.CustomerId, entitlement, now, ct)).Raise;
            wanted.Add(new QuotaReservation(this, customer.CustomerId, entitlement, metric, period, limit, amount));
        }
    }

    /// <summary>What one event adds to a count or sum metric, rounded up to whole units; other aggregations are not additive.</summary>
    public static long Counted(Metric metric, JsonObject properties)
    {
        if (!PropertyText.Matches(properties, metric.Filters)) return 0;
        return metric.Aggregation switch
        {
            Aggregation.Count => 1,
            Aggregation.Sum => PropertyText.Number(properties, metric.Field!) is { } n && n > 0 ? (long)Math.Ceiling(n) : 0,
            _ => 0,
        };
    }

    /// <summary>The most a request could add to a metric, from what is known before it runs.</summary>
    public static long Estimate(Metric metric, GatewayCaller caller, GatewayRequest request, RequestEstimate estimate)
    {
        // Properties known now must pass the filters; those known only afterwards (status, served model) may.
        var known = new Dictionary<string, string?>
        {
            ["model"] = request.Model,
            ["operation"] = request.OperationName,
            ["mode"] = caller.Mode,
            ["end_user"] = request.EndUser,
            ["key_id"] = caller.Key.Id,
        };
        foreach (var (name, values) in metric.Filters)
        {
            if (known.TryGetValue(name, out var value) && (value is null || Array.IndexOf(values, value) < 0)) return 0;
        }

        if (metric.Aggregation == Aggregation.Count) return 1;
        if (metric.Aggregation != Aggregation.Sum) return 0;
        return metric.Field switch
        {
            "total_tokens" => estimate.TotalTokens,
            "input_tokens" => estimate.InputTokens,
            "output_tokens" or "reasoning_tokens" => estimate.OutputTokens,
            "images" => estimate.Images,
            "charge_nanos" => estimate.ChargeNanos,
            _ => 0,
        };
    }

    internal async Task<long> BaselineAsync(Metric metric, string customerId, Period period, CancellationToken ct) =>
        (long)Math.Ceiling(await aggregator.TotalAsync(UsageQuery.Total(metric, customerId, period), ct) ?? 0);
}
