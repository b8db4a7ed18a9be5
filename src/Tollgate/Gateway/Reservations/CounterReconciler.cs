using Dapper;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Limits;
using Tollgate.Metering.Queries;
using Tollgate.Storage;

namespace Tollgate.Gateway.Reservations;

/// <summary>One shared counter of a hard limit or quota against the usage records it counts.</summary>
public sealed record CounterLine(string Subject, string Counter, DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd, long Allocated, long Recorded, string Status)
{
    /// <summary>Handed out at least what the records hold: the rest is leased to nodes or reserved by requests in flight.</summary>
    public const string Covered = "covered";

    /// <summary>Below what the records hold: a node spent units it never charged (it died first); other nodes could lease them again.</summary>
    public const string Behind = "behind";
}

/// <summary>
/// The usage records are the truth; the counters behind hard limits and quotas are leases taken against them. A
/// counter starts its period from the records' total and runs ahead of them by what nodes hold; it can fall behind
/// only when a node dies after a request used more than it reserved and before it charged the excess (it does within a
/// second). Every <see cref="Every"/> this compares the counters active now with the records, and raises one that is
/// behind to what the records hold, once it has been quiet for <see cref="Quiet"/>: by then every live node has charged
/// what it owed, so what is missing was owed by a dead one, and raising it counts nothing twice. A counter that moved in
/// the meantime is left for the next pass (the raise is conditional on it). A pass looks only at counters quiet now and
/// moved within the last <see cref="Recent"/> (a dead node's counters stop moving when it dies), at most
/// <see cref="MaxPerPass"/>, and reads the records through the cached totals, so it costs little however much usage
/// there is. Counters of requests in flight (no period)
/// are reclaimed from dead nodes by <see cref="Counters.NodeRegistry"/> instead.
/// </summary>
public sealed partial class CounterReconciler(
    Database database, LimitStore limits, CatalogStore catalog, LimitUsage usage, Entitlements.QuotaUsageCache quotaUsage, TimeProvider time, ILogger<CounterReconciler> log)
    : BackgroundService
{
    public static readonly TimeSpan Every = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan Recent = TimeSpan.FromMinutes(10);
    public const int MaxPerPass = 1000;

    /// <summary>
    /// The counters of periods not yet over, most recently moved first, each against its records; with
    /// <paramref name="repairable"/>, only those a repair could raise (quiet, and moved within <see cref="Recent"/>).
    /// </summary>
    public async Task<IReadOnlyList<CounterLine>> CheckAsync(bool repairable, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var now = time.GetUtcNow();
        var rows = await connection.QueryAsync<(string Subject, string Counter, DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd, long Allocated)>(
            new CommandDefinition(
                $"""
                SELECT subject, counter, period_start, expires_at, allocated FROM counters
                WHERE expires_at > @now{(repairable ? " AND updated_at < @quietSince AND updated_at >= @recentSince" : "")}
                ORDER BY updated_at DESC LIMIT {MaxPerPass}
                """,
                new { now, quietSince = now - Quiet, recentSince = now - Recent }, cancellationToken: ct));

        var lines = new List<CounterLine>();
        var limitsById = new Dictionary<string, Limit?>(StringComparer.Ordinal);
        var metricsByFeature = new Dictionary<string, Metric?>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            var period = new Period(row.PeriodStart, row.PeriodEnd);
            var recorded = row.Counter.StartsWith(Common.Ids.Limit + "_", StringComparison.Ordinal)
                ? await LimitRecordedAsync(row.Subject, row.Counter, period, limitsById, ct)
                : await QuotaRecordedAsync(row.Subject, row.Counter, period, metricsByFeature, ct);
            if (recorded is not { } total) continue;
            lines.Add(new CounterLine(row.Subject, row.Counter, row.PeriodStart, row.PeriodEnd, row.Allocated, total,
                row.Allocated >= total ? CounterLine.Covered : CounterLine.Behind));
        }

        return lines;
    }

    /// <summary>Raises the counters that are behind their records and quiet; returns how many it raised.</summary>
    public async Task<int> RepairAsync(CancellationToken ct)
    {
        var raised = 0;
        foreach (var line in (await CheckAsync(repairable: true, ct)).Where(l => l.Status == CounterLine.Behind))
        {
            await using var connection = await database.OpenAsync(ct);
            var now = time.GetUtcNow();
            var changed = await connection.ExecuteAsync(new CommandDefinition(
                """
                UPDATE counters SET allocated = @Recorded, updated_at = @now
                WHERE subject = @Subject AND counter = @Counter AND period_start = @PeriodStart AND allocated < @Recorded AND updated_at < @quietSince
                """,
                new { line.Subject, line.Counter, line.PeriodStart, line.Recorded, now, quietSince = now - Quiet }, cancellationToken: ct));
            if (changed == 0) continue;
            raised++;
            LogRaised(log, line.Counter, line.Subject, line.Allocated, line.Recorded);
        }

        return raised;
    }

    async Task<long?> LimitRecordedAsync(string subjectId, string limitId, Period period, Dictionary<string, Limit?> seen, CancellationToken ct)
    {
        if (!seen.TryGetValue(limitId, out var limit)) seen[limitId] = limit = await limits.GetAsync(limitId, ct);
        if (limit is not { Window: not null } || limit.Measure == LimitMeasure.Concurrent || SubjectOf(limit, subjectId) is not { } subject) return null;
        return await usage.UsedAsync(limit.Measure, subject, period, ct);
    }

    async Task<long?> QuotaRecordedAsync(string customerId, string featureCode, Period period, Dictionary<string, Metric?> seen, CancellationToken ct)
    {
        if (!seen.TryGetValue(featureCode, out var metric))
        {
            var feature = await catalog.GetFeatureAsync(featureCode, ct);
            seen[featureCode] = metric = feature?.Metric is { } code ? await catalog.GetMetricAsync(code, ct) : null;
        }

        if (metric is not { Aggregation: Aggregation.Count or Aggregation.Sum } || metric.EventCode != Usage.GatewayEvents.Code) return null;
        return (long)Math.Ceiling(await quotaUsage.TotalAsync(customerId, metric, period, ct));
    }

    /// <summary>The subject a counter's id names (<see cref="LimitSubject.Of"/> in reverse), or null for one it does not.</summary>
    internal static LimitSubject? SubjectOf(Limit limit, string id)
    {
        var colon = id.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0) return null;
        var (kind, rest) = (id[..colon], id[(colon + 1)..]);
        switch (kind)
        {
            case "customer" when limit.Per == LimitPer.Customer:
                return new LimitSubject(id, rest, null, null);
            case "key" when limit.Per == LimitPer.Key:
                return new LimitSubject(id, null, rest, null);
            case "end_user" when limit.Per == LimitPer.EndUser && rest.IndexOf('/', StringComparison.Ordinal) is > 0 and var slash:
                var (owner, user) = (rest[..slash], rest[(slash + 1)..]);
                return limit.Scope == LimitScope.Key ? new LimitSubject(id, null, owner, user) : new LimitSubject(id, owner, null, user);
            default:
                return null;
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Periodic.RunAsync(Every, time, RepairAsync, e => LogFailed(log, e), stoppingToken);

    [LoggerMessage(EventId = 4501, Level = LogLevel.Warning,
        Message = "The counter {Counter} of {Subject} had handed out {Allocated} units, fewer than its usage records hold ({Recorded}); it was raised to them.")]
    static partial void LogRaised(ILogger logger, string counter, string subject, long allocated, long recorded);

    [LoggerMessage(EventId = 4502, Level = LogLevel.Warning, Message = "Reconciling counters with the usage records failed; will try again.")]
    static partial void LogFailed(ILogger logger, Exception exception);
}
