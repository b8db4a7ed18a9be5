using System.Collections.Concurrent;
using Tollgate.Catalog;
using Tollgate.Metering.Queries;

namespace Tollgate.Entitlements;

/// <summary>
/// This period's usage of each quota, held in memory for checks so that a check costs no query. A customer's totals
/// are dropped whenever usage of theirs is stored, on this node at once and on others through the change feed
/// (<see cref="Common.ChangeKind.Usage"/>); a total read while usage was being stored is not kept, so a check never
/// answers from a total older than the last stored event it could know about.
/// </summary>
public sealed class QuotaUsageCache(UsageAggregator aggregator)
{
    const int MaxCustomers = 100_000;

    readonly ConcurrentDictionary<string, ConcurrentDictionary<(string Metric, DateTimeOffset Start), decimal>> _byCustomer = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, long> _generation = new(StringComparer.Ordinal);
    readonly Lock _gate = new();

    public async ValueTask<decimal> TotalAsync(string customerId, Metric metric, Period period, CancellationToken ct)
    {
        var key = (metric.Code, period.Start);
        if (_byCustomer.TryGetValue(customerId, out var totals) && totals.TryGetValue(key, out var cached)) return cached;

        var generation = _generation.GetValueOrDefault(customerId);
        var total = await aggregator.TotalAsync(UsageQuery.Total(metric, customerId, period), ct) ?? 0;
        lock (_gate)
        {
            if (_generation.GetValueOrDefault(customerId) != generation) return total;
            if (_byCustomer.Count >= MaxCustomers) _byCustomer.Clear();
            _byCustomer.GetOrAdd(customerId, _ => new())[key] = total;
        }

        return total;
    }

    /// <summary>Usage of <paramref name="customerId"/> was stored; with no id, metrics or anyone's usage may have changed.</summary>
    public void Forget(string? customerId)
    {
        lock (_gate)
        {
            if (customerId is null)
            {
                foreach (var id in _generation.Keys) _generation[id]++;
                _byCustomer.Clear();
                return;
            }

            _generation[customerId] = _generation.GetValueOrDefault(customerId) + 1;
            _byCustomer.TryRemove(customerId, out _);
        }
    }
}
