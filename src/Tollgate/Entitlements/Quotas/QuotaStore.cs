using Dapper;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Entitlements.Quotas;

/// <summary>A quota of one customer in one period: the unit the database hands out in leases.</summary>
public readonly record struct QuotaKey(string CustomerId, string Feature, DateTimeOffset PeriodStart);

/// <summary>
/// The shared side of quota leasing. Each quota and period has one row holding how much of the limit has been handed
/// out to nodes (<c>allocated</c>), starting from what the stored events had already used. A node asks for a chunk
/// only when its own lease runs out, so the row is written once per chunk, not per request; a compare-and-set on
/// the row keeps the total handed out within the limit however many nodes ask at once.
/// </summary>
public sealed class QuotaStore(Database database, TimeProvider time)
{
    /// <summary>
    /// Leases at least <paramref name="need"/> units, or none if fewer are free. Near the limit the chunks shrink, so
    /// every last unit is handed out and the last ones go one at a time.
    /// </summary>
    public async Task<long> LeaseAsync(QuotaKey key, long limit, long need, Func<CancellationToken, Task<long>> baseline, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var parameters = new { key.CustomerId, key.Feature, key.PeriodStart };
        for (var attempt = 0; ; attempt++)
        {
            var seen = await connection.QuerySingleOrDefaultAsync<long?>(
                "SELECT allocated FROM quota_counters WHERE customer_id = @CustomerId AND feature_code = @Feature AND period_start = @PeriodStart", parameters);
            if (seen is null)
            {
                var used = await baseline(ct);
                await connection.ExecuteAsync(
                    """
                    INSERT INTO quota_counters (customer_id, feature_code, period_start, allocated, updated_at)
                    VALUES (@CustomerId, @Feature, @PeriodStart, @used, @now)
                    ON CONFLICT (customer_id, feature_code, period_start) DO NOTHING
                    """,
                    new { key.CustomerId, key.Feature, key.PeriodStart, used, now = time.Now() });
                continue;
            }

            var take = Chunk(limit, seen.Value, need);
            if (take == 0) return 0;
            var changed = await connection.ExecuteAsync(
                """
                UPDATE quota_counters SET allocated = @next, updated_at = @now
                WHERE customer_id = @CustomerId AND feature_code = @Feature AND period_start = @PeriodStart AND allocated = @seen
                """,
                new { key.CustomerId, key.Feature, key.PeriodStart, seen, next = seen.Value + take, now = time.Now() });
            if (changed == 1) return take;
            if (attempt > 1000) throw new UnavailableException("quota_unavailable", "The quota is contended by too many nodes at once; retry.");
        }
    }

    /// <summary>Gives unused units back, so other nodes may lease them.</summary>
    public async Task ReturnAsync(QuotaKey key, long amount, CancellationToken ct)
    {
        if (amount <= 0) return;
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync(
            """
            UPDATE quota_counters SET allocated = allocated - @amount, updated_at = @now
            WHERE customer_id = @CustomerId AND feature_code = @Feature AND period_start = @PeriodStart
            """,
            new { key.CustomerId, key.Feature, key.PeriodStart, amount, now = time.Now() });
    }

    /// <summary>
    /// How many units to lease: what is needed, or more (a quarter of what is free, at most a twentieth of the limit)
    /// so the next requests need no round trip; 0 when not even the need is free.
    /// </summary>
    public static long Chunk(long limit, long allocated, long need)
    {
        var free = limit - allocated;
        if (need > free) return 0;
        var ahead = Math.Min(free / 4, Math.Max(1, limit / 20));
        return Math.Min(free, Math.Max(need, ahead));
    }
}
