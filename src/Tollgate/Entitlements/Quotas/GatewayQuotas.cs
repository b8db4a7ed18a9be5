using System.Text.Json.Nodes;
using Tollgate.Catalog;
using Tollgate.Gateway;
using Tollgate.Gateway.Access;
using Tollgate.Gateway.Protocols;
using Tollgate.Gateway.Translation;
using Tollgate.Gateway.Usage;
using Tollgate.Metering.Queries;

namespace Tollgate.Entitlements.Quotas;

/// <summary>Units of one hard quota held by a gateway request until it settles.</summary>
public sealed record QuotaHold(QuotaKey Key, Entitlement Entitlement, long Reserved);

/// <summary>A hard quota a gateway request would pass: which one, its limit and what it has used.</summary>
public sealed record QuotaRefusal(string Feature, long Limit, DateTimeOffset ResetsAt);

/// <summary>
/// Hard quotas in the gateway. Before a request goes upstream it reserves, against every hard quota whose metric
/// reads gateway events, the most the request could count (one request; the prompt estimate plus <c>max_tokens</c> for
/// tokens), all or none. When it ends, however it ends, each reservation settles to what the request's event really
/// counts, so a failed or cut request gives back what it did not use. A hard limit is never passed by concurrent
/// requests: a unit is reserved once, on one node, from a lease the database handed out once.
/// </summary>
public sealed class GatewayQuotas(QuotaLedger ledger, UsageAggregator aggregator, TimeProvider time)
{
    /// <summary>The output tokens reserved for a request that sets no <c>max_tokens</c>.</summary>
    public const long DefaultMaxOutputTokens = 4096;

    public async ValueTask<(List<QuotaHold> Holds, QuotaRefusal? Refusal)> ReserveAsync(CustomerAccess customer, GatewayCaller caller, GatewayRequest request, CancellationToken ct)
    {
        var holds = new List<QuotaHold>();
        foreach (var entitlement in customer.Entitlements.Features.Values)
        {
            if (entitlement is not { Feature.Type: FeatureType.Quota, Enforcement: Enforcement.Hard, Metric: { } metric } || entitlement.Unlimited) continue;
            if (metric.EventCode != GatewayEvents.Code) continue;
            var amount = Estimate(metric, caller, request);
            if (amount == 0) continue;

            var period = Periods.Of(entitlement.Feature, time.GetUtcNow());
            var key = new QuotaKey(customer.CustomerId, entitlement.Feature.Code, period.Start);
            var limit = entitlement.EffectiveLimit!.Value;
            var baseline = (CancellationToken token) => Baseline(metric, customer.CustomerId, period, token);
            if (!await ledger.TryReserveAsync(key, limit, amount, baseline, ct))
            {
                Settle(holds, null);
                return ([], new QuotaRefusal(entitlement.Feature.Code, limit, period.End));
            }

            holds.Add(new QuotaHold(key, entitlement, amount));
        }

        return (holds, null);
    }

    /// <summary>Settles every hold to what <paramref name="record"/> really counts; with no record, to nothing.</summary>
    public void Settle(List<QuotaHold> holds, UsageRecord? record)
    {
        if (holds.Count == 0) return;
        var properties = record?.CustomerId is null ? null : GatewayEvents.From(record).Properties;
        foreach (var hold in holds)
        {
            ledger.Settle(hold.Key, hold.Reserved, properties is null ? 0 : Counted(hold.Entitlement.Metric!, properties));
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
    public static long Estimate(Metric metric, GatewayCaller caller, GatewayRequest request)
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
        var input = (long)TokenEstimate.OfBytes(request.BodyBytes);
        var output = request.Operation is GatewayOperation.Embeddings or GatewayOperation.ImageGenerations
            ? 0
            : Json.Long(request.Body["max_completion_tokens"]) ?? Json.Long(request.Body["max_tokens"]) ?? DefaultMaxOutputTokens;
        return metric.Field switch
        {
            "total_tokens" => input + output,
            "input_tokens" => input,
            "output_tokens" or "reasoning_tokens" => output,
            "images" => request.Operation == GatewayOperation.ImageGenerations ? Json.Long(request.Body["n"]) ?? 1 : 0,
            _ => 0,
        };
    }

    async Task<long> Baseline(Metric metric, string customerId, Period period, CancellationToken ct) =>
        (long)Math.Ceiling(await aggregator.TotalAsync(UsageQuery.Total(metric, customerId, period), ct) ?? 0);
}
