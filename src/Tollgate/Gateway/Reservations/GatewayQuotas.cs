using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Entitlements;
using Tollgate.Entitlements.Grants;
using Tollgate.Entitlements.Access;
using Tollgate.Gateway.Protocols;
using Tollgate.Gateway.Usage;
using Tollgate.Metering;
using Tollgate.Metering.Queries;

namespace Tollgate.Gateway.Reservations;

/// <summary>
/// Hard quotas in the gateway: for every hard quota whose metric reads gateway events, the most the request could
/// count (one request; the prompt estimate plus <c>max_tokens</c> for tokens), against the limit and what grants add
/// to it this period. Notify and soft quotas are not reserved: they never refuse. Quotas over metrics that do not add
/// up (max, unique count, latest) cannot be reserved; <see cref="AddAsync"/> checks them before the request runs.
/// </summary>
public sealed class GatewayQuotas(UsageAggregator aggregator, QuotaUsageCache usage, GrantBalances grants, TimeProvider time)
{
    /// <summary>Values a unique-count quota has counted in a period: once counted, a value stays counted until the period ends.</summary>
    readonly LruCache<(string Customer, string Metric, DateTimeOffset Period, DateTimeOffset Defined, string Value), byte> _counted = new(100_000, long.MaxValue, static (_, _) => 1);

    /// <summary>
    /// Goes through the customer's hard quotas over gateway events once. A count or sum is added to
    /// <paramref name="wanted"/>, to be reserved. Max, unique-count and latest metrics do not add up, so they cannot be
    /// reserved; they are checked here, and the first that refuses the request is returned:
    /// <list type="bullet">
    /// <item>max: a cap per request; the request's own worst case (as reserved for a sum) must fit the limit;</item>
    /// <item>unique count: a value counted this period already passes, a new one needs room; a value known only once the
    /// request has run (the served model, the provider) is taken for a new one;</item>
    /// <item>latest: as the check endpoint answers it, with room for one more.</item>
    /// </list>
    /// Requests in flight at once are not held against each other by these checks, so a unique count can be passed by
    /// as many new values as arrive together at its last free place. Grants raise only counts and sums.
    /// </summary>
    public async ValueTask<GatewayError?> AddAsync(
        List<Reservation> wanted, CustomerAccess customer, GatewayCaller caller, GatewayRequest request, RequestEstimate estimate, CancellationToken ct)
    {
        KnownValues? known = null;
        var now = time.GetUtcNow();
        foreach (var entitlement in customer.Entitlements.Features.Values)
        {
            if (entitlement is not { Feature.Type: FeatureType.Quota, Enforcement: Enforcement.Hard, Metric: { } metric } || entitlement.Unlimited) continue;
            if (metric.EventCode != GatewayEvents.Code) continue;
            // A quota only grants gave, once they have all ended (while the customer's entitlements are cached), is no longer theirs.
            if (entitlement.Source == Entitlement.FromGrant && !entitlement.Grants.Any(g => g.ActiveAt(now))) continue;
            known ??= new KnownValues(caller, request);
            if (!MayPass(metric, known.Value)) continue;

            var period = Periods.Of(entitlement.Feature, now);
            var quota = entitlement.Over(period);
            if (metric.Aggregation is Aggregation.Count or Aggregation.Sum)
            {
                var amount = metric.Aggregation == Aggregation.Count ? 1 : Worst(metric.Field, estimate);
                if (amount == 0) continue;
                var raised = quota.EffectiveLimit!.Value + (await grants.CapacityAsync(customer.CustomerId, entitlement, now, ct)).Raise;
                wanted.Add(new QuotaReservation(this, customer.CustomerId, entitlement, metric, period, raised, amount));
                continue;
            }

            var limit = quota.EffectiveLimit!.Value;
            if (metric.Aggregation == Aggregation.Max)
            {
                var most = Worst(metric.Field, estimate);
                if (most > limit) return GatewayError.QuotaCapExceeded(entitlement.Feature.Code, limit, most);
                continue;
            }

            var used = await usage.TotalAsync(customer.CustomerId, metric, period, ct);
            if (used + 1 <= limit) continue;
            if (metric.Aggregation == Aggregation.UniqueCount && await CountedAlreadyAsync(customer.CustomerId, metric, period, known.Value, ct)) continue;
            return GatewayError.QuotaExceeded(entitlement.Feature.Code, limit, period.End);
        }

        return null;
    }

    /// <summary>Whether the request's value of a unique-count metric's field adds nothing: none (not counted) or one counted this period.</summary>
    async Task<bool> CountedAlreadyAsync(string customerId, Metric metric, Period period, KnownValues known, CancellationToken ct)
    {
        if (!known.TryGetValue(metric.Field!, out var value)) return false; // known only once the request has run
        if (value is null) return true;
        var key = (customerId, metric.Id, period.Start, metric.UpdatedAt, value);
        if (_counted.TryGet(key, out _)) return true;
        var same = new Dictionary<string, string[]> { [metric.Field!] = [value] };
        var events = await aggregator.TotalAsync(new UsageQuery(metric with { Aggregation = Aggregation.Count, Field = null }, customerId, period, same, []), ct);
        if (events is not > 0) return false;
        _counted.Set(key, 0); // bounded: the least recently used make room, and are asked again
        return true;
    }

    /// <summary>What one event adds to a count or sum metric, rounded up to whole units; other aggregations are not additive.</summary>
    public static long Counted(Metric metric, EventValues properties)
    {
        if (!properties.Matches(metric.Filters)) return 0;
        return metric.Aggregation switch
        {
            Aggregation.Count => 1,
            Aggregation.Sum => properties.Number(metric.Field!) is { } n && n > 0 ? (long)Math.Ceiling(n) : 0,
            _ => 0,
        };
    }

    /// <summary>The event properties known before the request runs; the others (status, served model) only once it has.</summary>
    readonly struct KnownValues(GatewayCaller caller, GatewayRequest request)
    {
        public bool TryGetValue(string name, out string? value)
        {
            value = name switch
            {
                "model" => request.Model,
                "operation" => request.OperationName,
                "mode" => caller.Mode,
                "end_user" => request.EndUser,
                "key_id" => caller.Key.Id,
                _ => null,
            };
            return name is "model" or "operation" or "mode" or "end_user" or "key_id";
        }
    }

    /// <summary>Properties known now must pass the metric's filters; those known only afterwards (status, served model) may.</summary>
    static bool MayPass(Metric metric, KnownValues known)
    {
        foreach (var (name, values) in metric.Filters)
        {
            if (known.TryGetValue(name, out var value) && (value is null || Array.IndexOf(values, value) < 0)) return false;
        }

        return true;
    }

    /// <summary>The most a request could put in a numeric field of its event, from the estimate; 0 for a field it cannot tell.</summary>
    static long Worst(string? field, RequestEstimate estimate) => field switch
    {
        "total_tokens" => estimate.TotalTokens,
        "input_tokens" => estimate.InputTokens,
        "output_tokens" or "reasoning_tokens" => estimate.OutputTokens,
        "images" => estimate.Images,
        "charge_nanos" => estimate.ChargeNanos,
        _ => 0,
    };

    /// <summary>What the quota's metric has counted this period, read from the database: a new counter starts from it.</summary>
    internal async Task<long> BaselineAsync(Metric metric, string customerId, Period period, CancellationToken ct) =>
        (long)Math.Ceiling(await aggregator.TotalAsync(UsageQuery.Total(metric, customerId, period), ct) ?? 0);
}
