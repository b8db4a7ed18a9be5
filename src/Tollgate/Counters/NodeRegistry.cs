using Dapper;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Counters;

/// <summary>
/// Keeps this node's heartbeat in the <c>nodes</c> table and reclaims what nodes that stopped beating held. Only
/// counters that never reset hold units by node (requests in flight, <see cref="CounterKey.PeriodEnd"/> null): a
/// killed node's requests in flight ended with it, so its holds go back to the counter once its heartbeat is older than
/// <see cref="Timeout"/>. Counters of usage are not reclaimed this way: what a killed node leased but never used stays
/// counted until the period ends, refusing early but never letting a limit be passed. On PostgreSQL every heartbeat and
/// every judgement of silence uses the database's clock, so nodes whose own clocks disagree never take each other for
/// dead; SQLite serves one node, whose clock is the only one.
/// </summary>
public sealed partial class NodeRegistry(Database database, NodeIdentity node, CounterLedger ledger, TimeProvider time, ILogger<NodeRegistry> log) : BackgroundService
{
    bool _registered;

    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>A node silent this long is taken for dead.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Records this node as alive now, then reclaims the holds of nodes silent for longer than <see cref="Timeout"/>;
    /// returns how many nodes were reclaimed. A node that finds its own row gone was taken for dead (it was paused, or
    /// cut off from the database): what it held was given back, so it drops those leases without returning them.
    /// </summary>
    public async Task<int> BeatAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var clock = Now;
        List<string> silent;
        await using (var connection = await database.OpenAsync(ct))
        {
            var beat = await connection.ExecuteAsync($"UPDATE nodes SET heartbeat_at = {clock} WHERE id = @id", new { id = node.Id, now });
            if (beat == 0)
            {
                if (_registered)
                {
                    LogTakenForDead(log);
                    ledger.Abandon(CounterStore.HeldPerNode);
                }

                await connection.ExecuteAsync($"INSERT INTO nodes (id, started_at, heartbeat_at) VALUES (@id, {clock}, {clock})", new { id = node.Id, now });
                _registered = true;
            }

            silent = [.. await connection.QueryAsync<string>($"SELECT id FROM nodes WHERE heartbeat_at < {SilentSince}", new { before = now - Timeout, timeout = Timeout.TotalSeconds })];
        }

        // Each reclaim is its own transaction on its own connection, opened once this one is back in the pool.
        var reclaimed = 0;
        foreach (var id in silent)
        {
            if (await ReclaimAsync(id, onlyIfSilent: true, ct)) reclaimed++;
        }

        return reclaimed;
    }

    /// <summary>The time of a heartbeat: the database's clock on PostgreSQL, this node's (<c>@now</c>) on SQLite.</summary>
    string Now => database.Kind == DatabaseKind.Postgres ? "now()" : "@now";

    /// <summary>Heartbeats older than this are silent: <see cref="Timeout"/> before the database's now (this node's on SQLite).</summary>
    string SilentSince => database.Kind == DatabaseKind.Postgres ? "now() - make_interval(secs => @timeout)" : "@before";

    /// <summary>
    /// Gives back every unit <paramref name="nodeId"/> holds and forgets the node, in one transaction, if it is still
    /// silent (unless <paramref name="onlyIfSilent"/> is false: this node, leaving). Deleting the node's row first makes
    /// several nodes reclaiming at once give its units back once: only the one whose delete found the row goes on.
    /// </summary>
    async Task<bool> ReclaimAsync(string nodeId, bool onlyIfSilent, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var units = await database.InTransactionAsync(async (connection, tx) =>
        {
            var gone = onlyIfSilent
                ? await connection.ExecuteAsync($"DELETE FROM nodes WHERE id = @nodeId AND heartbeat_at < {SilentSince}",
                    new { nodeId, before = now - Timeout, timeout = Timeout.TotalSeconds }, tx)
                : await connection.ExecuteAsync("DELETE FROM nodes WHERE id = @nodeId", new { nodeId }, tx);
            if (gone == 0 && onlyIfSilent) return (long?)null;
            var holds = (await connection.QueryAsync<(string Subject, string Counter, DateTimeOffset PeriodStart, long Units)>(
                "DELETE FROM counter_holds WHERE node = @nodeId RETURNING subject, counter, period_start, units", new { nodeId }, tx)).ToList();
            foreach (var hold in holds.Where(h => h.Units != 0))
            {
                await connection.ExecuteAsync(
                    "UPDATE counters SET allocated = allocated - @Units WHERE subject = @Subject AND counter = @Counter AND period_start = @PeriodStart",
                    new { hold.Units, hold.Subject, hold.Counter, hold.PeriodStart }, tx);
            }

            return holds.Sum(h => h.Units);
        }, ct);
        if (units is null) return false;
        if (nodeId != node.Id) LogNodeReclaimed(log, nodeId, units.Value);
        return true;
    }

    /// <summary>The first beat comes before the node serves anything, so every hold it writes has a node row to be reclaimed by.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await BeatAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFirstHeartbeatFailed(log, e);
        }

        await base.StartAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Periodic.RunAsync(Interval, time, BeatAsync, e => LogHeartbeatFailed(log, e), stoppingToken);

    [LoggerMessage(EventId = 11101, Level = LogLevel.Warning,
        Message = "This node was taken for dead by another; its leases of counters in flight are dropped.")]
    static partial void LogTakenForDead(ILogger logger);

    [LoggerMessage(EventId = 11102, Level = LogLevel.Warning,
        Message = "Node {Node} stopped beating; {Units} units it held of counters in flight were given back.")]
    static partial void LogNodeReclaimed(ILogger logger, string node, long units);

    [LoggerMessage(EventId = 11103, Level = LogLevel.Warning, Message = "Writing this node's first heartbeat failed; will retry.")]
    static partial void LogFirstHeartbeatFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 11104, Level = LogLevel.Warning, Message = "Writing this node's heartbeat failed; will retry.")]
    static partial void LogHeartbeatFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 11105, Level = LogLevel.Warning,
        Message = "Leaving the nodes table failed; other nodes will reclaim this one's holds after {Timeout}.")]
    static partial void LogLeaveFailed(ILogger logger, Exception exception, TimeSpan timeout);
}
