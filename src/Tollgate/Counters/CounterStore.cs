using Dapper;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Counters;

/// <summary>A chunk of a counter leased to this node, and how much of the limit was handed out once it was.</summary>
public readonly record struct Leased(long Units, long Allocated);

/// <summary>
/// The shared side of counters. Each counter and period has one row holding how much of its limit has been handed
/// out to nodes (<c>allocated</c>), starting from what was already used. A node asks for a chunk only when its own
/// lease runs out, so the row is written once per chunk, not per request; a compare-and-set on the row keeps the
/// total handed out within the limit however many nodes ask at once. Counters that never reset (requests in flight)
/// also record, per node, how many units each holds (<c>counter_holds</c>, written in the same transaction), so
/// <see cref="NodeRegistry"/> can give back what a killed node held.
/// </summary>
public sealed class CounterStore(Database database, NodeIdentity node, TimeProvider time)
{
    /// <summary>
    /// Leases at least <paramref name="need"/> units, or none if fewer are free. Near the limit the chunks shrink, so
    /// every last unit is handed out and the last ones go one at a time.
    /// </summary>
    public async Task<Leased> LeaseAsync(CounterKey key, long limit, long need, Func<CancellationToken, Task<long>> baseline, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var parameters = new { key.Subject, key.Counter, key.PeriodStart };
        for (var attempt = 0; ; attempt++)
        {
            var seen = await connection.QuerySingleOrDefaultAsync<long?>(
                "SELECT allocated FROM counters WHERE subject = @Subject AND counter = @Counter AND period_start = @PeriodStart", parameters);
            if (seen is null)
            {
                var used = await baseline(ct);
                using var turn = await database.WriterTurnAsync(ct);
                await connection.ExecuteAsync(
                    """
                    INSERT INTO counters (subject, counter, period_start, allocated, updated_at, expires_at)
                    VALUES (@Subject, @Counter, @PeriodStart, @used, @now, @PeriodEnd)
                    ON CONFLICT (subject, counter, period_start) DO NOTHING
                    """,
                    new { key.Subject, key.Counter, key.PeriodStart, key.PeriodEnd, used, now = time.Now() });
                continue;
            }

            var take = Chunk(limit, seen.Value, need);
            if (take == 0) return new(0, seen.Value);
            var cas = new { key.Subject, key.Counter, key.PeriodStart, seen, next = seen.Value + take, now = time.Now() };
            const string Update = """
                UPDATE counters SET allocated = @next, updated_at = @now
                WHERE subject = @Subject AND counter = @Counter AND period_start = @PeriodStart AND allocated = @seen
                """;
            int changed;
            using (await database.WriterTurnAsync(ct))
            {
                if (HeldPerNode(key))
                {
                    await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, ct);
                    changed = await connection.ExecuteAsync(Update, cas, tx);
                    if (changed == 1) await HoldAsync(connection, tx, key, take);
                    await tx.CommitAsync(ct);
                }
                else
                {
                    changed = await connection.ExecuteAsync(Update, cas);
                }
            }

            if (changed == 1) return new(take, seen.Value + take);
            if (attempt > 1000) throw new UnavailableException("counter_unavailable", "A limit is contended by too many nodes at once; retry.");
        }
    }

    /// <summary>Gives unused units back, so other nodes may lease them.</summary>
    public async Task ReturnAsync(CounterKey key, long amount, CancellationToken ct)
    {
        if (amount <= 0) return;
        const string Update = """
            UPDATE counters SET allocated = allocated - @amount, updated_at = @now
            WHERE subject = @Subject AND counter = @Counter AND period_start = @PeriodStart
            """;
        var parameters = new { key.Subject, key.Counter, key.PeriodStart, amount, now = time.Now() };
        if (!HeldPerNode(key))
        {
            await using var connection = await database.OpenAsync(ct);
            using (await database.WriterTurnAsync(ct)) await connection.ExecuteAsync(Update, parameters);
            return;
        }

        await database.InTransactionAsync(async (c, tx) =>
        {
            // Units another node already reclaimed (this one was taken for dead) are not given back twice.
            if (await HoldAsync(c, tx, key, -amount) == 1) await c.ExecuteAsync(Update, parameters, tx);
            return 0;
        }, ct);
    }

    /// <summary>
    /// Counts <paramref name="amount"/> units as handed out whatever the limit: units a request used beyond its
    /// reservation are spent already, and other nodes must not lease them.
    /// </summary>
    public async Task ChargeAsync(CounterKey key, long amount, CancellationToken ct)
    {
        if (amount <= 0) return;
        await database.InTransactionAsync(async (c, tx) =>
        {
            await c.ExecuteAsync(
                """
                UPDATE counters SET allocated = allocated + @amount, updated_at = @now
                WHERE subject = @Subject AND counter = @Counter AND period_start = @PeriodStart
                """,
                new { key.Subject, key.Counter, key.PeriodStart, amount, now = time.Now() }, tx);
            if (HeldPerNode(key)) await HoldAsync(c, tx, key, amount);
            return 0;
        }, ct);
    }

    /// <summary>Whether units of the counter are recorded per node: those that never reset, so a dead node's can be reclaimed.</summary>
    public static bool HeldPerNode(CounterKey key) => key.PeriodEnd is null;

    /// <summary>Adds <paramref name="units"/> to this node's hold; a negative change applies only if the hold has that many.</summary>
    Task<int> HoldAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction tx, CounterKey key, long units) =>
        units >= 0
            ? connection.ExecuteAsync(
                """
                INSERT INTO counter_holds (subject, counter, period_start, node, units) VALUES (@Subject, @Counter, @PeriodStart, @node, @units)
                ON CONFLICT (subject, counter, period_start, node) DO UPDATE SET units = counter_holds.units + excluded.units
                """,
                new { key.Subject, key.Counter, key.PeriodStart, node = node.Id, units }, tx)
            : connection.ExecuteAsync(
                """
                UPDATE counter_holds SET units = units + @units
                WHERE subject = @Subject AND counter = @Counter AND period_start = @PeriodStart AND node = @node AND units >= -@units
                """,
                new { key.Subject, key.Counter, key.PeriodStart, node = node.Id, units }, tx);

    /// <summary>Deletes counters whose period ended before <paramref name="before"/>; they can no longer be leased from.</summary>
    public async Task<int> DeleteExpiredAsync(DateTimeOffset before, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteAsync("DELETE FROM counters WHERE expires_at < @before", new { before });
    }

    /// <summary>
    /// How many units to lease: what is needed, or more so the next requests need no round trip: a quarter of what is
    /// free (half, for limits of 64 or less, so a small limit is not a round trip per request), at most a twentieth of
    /// the limit or 16 units; 0 when not even the need is free.
    /// </summary>
    public static long Chunk(long limit, long allocated, long need)
    {
        var free = limit - allocated;
        if (need > free) return 0;
        var share = limit <= SmallLimit ? (free + 1) / 2 : free / 4;
        var ahead = Math.Min(share, Math.Max(MinimumAhead, limit / 20));
        return Math.Min(free, Math.Max(need, ahead));
    }

    const long SmallLimit = 64;
    const long MinimumAhead = 16;
}
