using System.Text.Json.Nodes;
using Dapper;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Alerts;

/// <summary>
/// Raises each threshold once per period: the record that it was raised and the outbox event that announces it are
/// written in one transaction, so an alert is never lost between them nor raised twice, however many nodes look.
/// </summary>
public sealed class AlertStore(Database database, TimeProvider time)
{
    /// <summary>
    /// Thresholds this node knows are raised (it raised them, or found them raised), so that a customer past 50% is
    /// not written for again each time its usage is looked at. The table's key still decides between nodes.
    /// </summary>
    /// <summary>Thresholds known to be raised already, bounded: what the least recently used make room for is looked up again.</summary>
    readonly LruCache<(string Subject, string Counter, DateTimeOffset PeriodStart, int Threshold), byte> _raised = new(100_000, long.MaxValue, static (_, _) => 1);

    /// <summary>Raises those of <paramref name="crossings"/> not raised before; returns how many were new.</summary>
    public async Task<int> RaiseAsync(IReadOnlyList<ThresholdCrossing> crossings, CancellationToken ct)
    {
        crossings = [.. crossings.Where(c => !_raised.TryGet(Key(c), out _))];
        if (crossings.Count == 0) return 0;
        var count = await database.InTransactionAsync(async (connection, tx) =>
        {
            var raised = 0;
            var now = time.Now();
            foreach (var c in crossings)
            {
                var fresh = await connection.ExecuteAsync(
                    """
                    INSERT INTO threshold_alerts (subject, counter, period_start, threshold, customer_id, fired_at)
                    VALUES (@Subject, @Counter, @PeriodStart, @Threshold, @CustomerId, @now)
                    ON CONFLICT (subject, counter, period_start, threshold) DO NOTHING
                    """,
                    new { c.Subject, c.Counter, c.PeriodStart, c.Threshold, c.CustomerId, now }, tx);
                if (fresh == 0) continue;
                await connection.ExecuteAsync(
                    "INSERT INTO outbox (id, type, customer_id, payload, created_at) VALUES (@id, @Type, @CustomerId, @payload, @now)",
                    new { id = Ids.New(Ids.Alert, time), c.Type, c.CustomerId, payload = ApiJson.Serialize(c.Data), now }, tx);
                raised++;
            }

            return raised;
        }, ct);
        foreach (var c in crossings) _raised.Set(Key(c), 0);
        return count;
    }

    static (string, string, DateTimeOffset, int) Key(ThresholdCrossing c) => (c.Subject, c.Counter, c.PeriodStart, c.Threshold);

    public async Task<IReadOnlyList<Alert>> ListAsync(string? customerId, int limit, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<(string Id, string Type, string? CustomerId, string Payload, object CreatedAt)>(
            $"""
            SELECT id, type, customer_id, payload, created_at FROM outbox
            WHERE type LIKE '%.threshold_reached' {(customerId is null ? "" : "AND customer_id = @customerId")}
            ORDER BY id DESC LIMIT @limit
            """,
            new { customerId, limit });
        return [.. rows.Select(r => new Alert(r.Id, r.Type, r.CustomerId, JsonNode.Parse(r.Payload)!.AsObject(), DapperSetup.ReadTimestamp(r.CreatedAt)))];
    }
}
