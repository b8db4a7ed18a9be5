using Dapper;
using Tollgate.Storage;

namespace Tollgate.Counters;

/// <summary>
/// Keeps this node's heartbeat in the <c>nodes</c> table and reclaims what nodes that stopped beating held. Only
/// counters that never reset hold units by node (requests in flight, <see cref="CounterKey.PeriodEnd"/> null): a
/// killed node's requests in flight ended with it, so its holds go back to the counter once its heartbeat is older than
/// <see cref="Timeout"/>. Counters of usage are not reclaimed this way: what a killed node leased but never used stays
/// counted until the period ends, refusing early but never letting a limit be passed.
/// </summary>
public sealed class NodeRegistry(Database database, NodeIdentity node, TimeProvider time, ILogger<NodeRegistry> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>A node silent this long is taken for dead.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Records this node as alive now, then reclaims the holds of nodes silent for longer than <see cref="Timeout"/>; returns how many nodes were reclaimed.</summary>
    public async Task<int> BeatAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync(
            """
            INSERT INTO nodes (id, started_at, heartbeat_at) VALUES (@id, @now, @now)
            ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at
            """,
            new { id = node.Id, now });
        var dead = (await connection.QueryAsync<string>("SELECT id FROM nodes WHERE heartbeat_at < @before", new { before = now - Timeout })).ToList();
        foreach (var id in dead) await ReclaimAsync(id, ct);
        return dead.Count;
    }

    /// <summary>Gives back every unit <paramref name="nodeId"/> holds and forgets the node, in one transaction.</summary>
    async Task ReclaimAsync(string nodeId, CancellationToken ct)
    {
        var units = await database.InTransactionAsync(async (connection, tx) =>
        {
            var holds = (await connection.QueryAsync<(string Subject, string Counter, DateTimeOffset PeriodStart, long Units)>(
                "SELECT subject, counter, period_start, units FROM counter_holds WHERE node = @nodeId", new { nodeId }, tx)).ToList();
            foreach (var hold in holds.Where(h => h.Units != 0))
            {
                await connection.ExecuteAsync(
                    "UPDATE counters SET allocated = allocated - @Units WHERE subject = @Subject AND counter = @Counter AND period_start = @PeriodStart",
                    new { hold.Units, hold.Subject, hold.Counter, hold.PeriodStart }, tx);
            }

            await connection.ExecuteAsync("DELETE FROM counter_holds WHERE node = @nodeId", new { nodeId }, tx);
            await connection.ExecuteAsync("DELETE FROM nodes WHERE id = @nodeId", new { nodeId }, tx);
            return holds.Sum(h => h.Units);
        }, ct);
        if (nodeId != node.Id) log.LogWarning("Node {Node} stopped beating; {Units} units it held of counters in flight were given back.", nodeId, units);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            do
            {
                try
                {
                    await BeatAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogWarning(e, "Writing this node's heartbeat failed; will retry.");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>A node stopping cleanly has given its leases back (<see cref="CounterLedger"/>) and leaves the table.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await ReclaimAsync(node.Id, cancellationToken);
        }
        catch (Exception e)
        {
            log.LogWarning(e, "Leaving the nodes table failed; other nodes will reclaim this one's holds after {Timeout}.", Timeout);
        }
    }
}
