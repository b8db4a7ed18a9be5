using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Tollgate.Catalog;
using Tollgate.Metering;
using Tollgate.Metering.Queries;

namespace Tollgate.Entitlements;

/// <summary>
/// Usage of quotas over windows (a period, or the segments grants are drawn over), held in memory so that a check
/// costs no query. A customer's totals are dropped whenever usage of theirs is stored, on this node at once and on
/// others through the change feed (<see cref="Common.ChangeKind.Usage"/>); a total read while usage was being stored
/// is not kept, so a check never answers from a total older than the last stored event it could know about. Windows
/// that ended before the oldest time an event may still be stamped with (<see cref="MeteringOptions.LateEventDays"/>)
/// can change no more and are kept apart, until a metric changes.
/// </summary>
public sealed class QuotaUsageCache(UsageAggregator aggregator, IOptions<MeteringOptions> options)
{
    const int MaxEntries = 100_000;

    /// <summary>Room for clocks that differ between nodes, on top of the late-event window.</summary>
    static readonly TimeSpan SealMargin = TimeSpan.FromDays(1);

    readonly ConcurrentDictionary<string, ConcurrentDictionary<(string Metric, DateTimeOffset Defined, Period Window), decimal>> _byCustomer = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<(string Customer, string Metric, DateTimeOffset Defined, Period Window), decimal> _sealed = new();
    readonly ConcurrentDictionary<string, long> _generation = new(StringComparer.Ordinal);
    readonly Lock _gate = new();
    long _everyone;

    public async ValueTask<decimal> TotalAsync(string customerId, Metric metric, Period period, CancellationToken ct)
    {
        var key = (metric.Code, metric.UpdatedAt, period);
        if (_byCustomer.TryGetValue(customerId, out var totals) && totals.TryGetValue(key, out var cached)) return cached;

        var generation = Generation(customerId);
        var total = await aggregator.TotalAsync(UsageQuery.Total(metric, customerId, period), ct) ?? 0;
        Keep(customerId, generation, [(key, total)], []);
        return total;
    }

    /// <summary>A count or sum metric between each pair of neighbouring <paramref name="cuts"/>, the missing ones in one query.</summary>
    public async ValueTask<decimal[]> SegmentsAsync(string customerId, Metric metric, IReadOnlyList<DateTimeOffset> cuts, DateTimeOffset now, CancellationToken ct)
    {
        var totals = new decimal[Math.Max(0, cuts.Count - 1)];
        var missing = new List<int>();
        var customerTotals = _byCustomer.GetValueOrDefault(customerId);
        for (var i = 0; i < totals.Length; i++)
        {
            var window = new Period(cuts[i], cuts[i + 1]);
            if (_sealed.TryGetValue((customerId, metric.Code, metric.UpdatedAt, window), out totals[i])) continue;
            if (customerTotals is not null && customerTotals.TryGetValue((metric.Code, metric.UpdatedAt, window), out totals[i])) continue;
            missing.Add(i);
        }

        if (missing.Count == 0) return totals;
        var generation = Generation(customerId);
        var windows = missing.Select(i => new Period(cuts[i], cuts[i + 1])).ToList();
        var read = await aggregator.SegmentTotalsAsync(metric, customerId, windows, ct);
        var sealBefore = now - TimeSpan.FromDays(options.Value.LateEventDays) - SealMargin;
        var open = new List<((string, DateTimeOffset, Period), decimal)>();
        var closed = new List<((string, DateTimeOffset, Period), decimal)>();
        for (var j = 0; j < missing.Count; j++)
        {
            totals[missing[j]] = read[j];
            (windows[j].End <= sealBefore ? closed : open).Add(((metric.Code, metric.UpdatedAt, windows[j]), read[j]));
        }

        Keep(customerId, generation, open, closed);
        return totals;
    }

    (long Everyone, long Customer) Generation(string customerId)
    {
        lock (_gate) return (_everyone, _generation.GetValueOrDefault(customerId));
    }

    /// <summary>
    /// Keeps totals read since <paramref name="generation"/>, unless usage was stored or metrics changed meanwhile. They are
    /// keyed by the metric's definition too: a total read with a definition since changed is never found again.
    /// </summary>
    void Keep(string customerId, (long, long) generation, IReadOnlyList<((string, DateTimeOffset, Period) Key, decimal Total)> open,
        IReadOnlyList<((string Metric, DateTimeOffset Defined, Period Window) Key, decimal Total)> closed)
    {
        lock (_gate)
        {
            if (Generation(customerId) != generation) return;
            if (closed.Count > 0 && _sealed.Count >= MaxEntries) _sealed.Clear();
            foreach (var (key, total) in closed) _sealed[(customerId, key.Metric, key.Defined, key.Window)] = total;
            if (open.Count == 0) return;
            if (_byCustomer.Count >= MaxEntries) _byCustomer.Clear();
            var kept = _byCustomer.GetOrAdd(customerId, _ => new());
            foreach (var (key, total) in open) kept[key] = total;
        }
    }

    /// <summary>Usage of <paramref name="customerId"/> was stored; with no id, metrics or anyone's usage may have changed.</summary>
    public void Forget(string? customerId)
    {
        lock (_gate)
        {
            if (customerId is null)
            {
                _everyone++;
                _byCustomer.Clear();
                _sealed.Clear();
                return;
            }

            // Bounded like the totals: forgetting every customer's generation at once is what a change for everyone does.
            if (_generation.Count >= MaxEntries)
            {
                _generation.Clear();
                _everyone++;
            }

            _generation[customerId] = _generation.GetValueOrDefault(customerId) + 1;
            _byCustomer.TryRemove(customerId, out _);
        }
    }
}
