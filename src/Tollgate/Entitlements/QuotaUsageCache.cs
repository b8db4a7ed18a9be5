using Microsoft.Extensions.Options;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Metering;
using Tollgate.Metering.Queries;

namespace Tollgate.Entitlements;

/// <summary>
/// Usage of quotas over windows (a period, or the segments grants are drawn over), held in memory so that a check
/// costs no query. Open windows are kept in <see cref="UsageTotals"/>, which adds what this node stores and drops what
/// another node stored (heard through the change feed, <see cref="ChangeKind.Usage"/>). Windows that ended before the
/// oldest time an event may still be stamped with (<see cref="MeteringOptions.LateEventDays"/>) can change no more and
/// are kept apart, bounded the same way, until a metric changes. Totals are keyed by the metric's definition too: a
/// total read with a definition since changed is never found again.
/// </summary>
public sealed class QuotaUsageCache(UsageAggregator aggregator, UsageTotals totals, IOptions<MeteringOptions> options)
{
    /// <summary>Room for clocks that differ between nodes, on top of the late-event window.</summary>
    static readonly TimeSpan SealMargin = TimeSpan.FromDays(1);

    readonly LruCache<(string Customer, string Metric, DateTimeOffset Defined, Period Window), decimal> _sealed = new(UsageTotals.MaxCustomers, long.MaxValue, static (_, _) => 1);

    readonly record struct Key(string Metric, DateTimeOffset Defined, Period Window);

    public async ValueTask<decimal> TotalAsync(string customerId, Metric metric, Period period, CancellationToken ct)
    {
        var key = new Key(metric.Code, metric.UpdatedAt, period);
        if (totals.TryGet(customerId, key, out var cached)) return cached;

        var ticket = totals.Begin(customerId);
        var total = await aggregator.TotalAsync(UsageQuery.Total(metric, customerId, period), ct) ?? 0;
        totals.Keep(ticket, key, total, UsageTotals.OfMetric(metric, period));
        return total;
    }

    /// <summary>A count or sum metric between each pair of neighbouring <paramref name="cuts"/>, the missing ones in one query.</summary>
    public async ValueTask<decimal[]> SegmentsAsync(string customerId, Metric metric, IReadOnlyList<DateTimeOffset> cuts, DateTimeOffset now, CancellationToken ct)
    {
        var segments = new decimal[Math.Max(0, cuts.Count - 1)];
        var missing = new List<int>();
        for (var i = 0; i < segments.Length; i++)
        {
            var window = new Period(cuts[i], cuts[i + 1]);
            if (_sealed.TryGet((customerId, metric.Code, metric.UpdatedAt, window), out segments[i])) continue;
            if (totals.TryGet(customerId, new Key(metric.Code, metric.UpdatedAt, window), out segments[i])) continue;
            missing.Add(i);
        }

        if (missing.Count == 0) return segments;
        var ticket = totals.Begin(customerId);
        var windows = missing.Select(i => new Period(cuts[i], cuts[i + 1])).ToList();
        var read = await aggregator.SegmentTotalsAsync(metric, customerId, windows, ct);
        var sealBefore = now - TimeSpan.FromDays(options.Value.LateEventDays) - SealMargin;
        for (var j = 0; j < missing.Count; j++)
        {
            segments[missing[j]] = read[j];
            if (windows[j].End <= sealBefore) _sealed.Set((customerId, metric.Code, metric.UpdatedAt, windows[j]), read[j]);
            else totals.Keep(ticket, new Key(metric.Code, metric.UpdatedAt, windows[j]), read[j], UsageTotals.OfMetric(metric, windows[j]));
        }

        return segments;
    }

    /// <summary>Usage of <paramref name="customerId"/> was stored by another node; with no id, metrics or anyone's usage may have changed.</summary>
    public void Forget(string? customerId)
    {
        totals.Forget(customerId);
        if (customerId is null) _sealed.Clear();
    }
}
