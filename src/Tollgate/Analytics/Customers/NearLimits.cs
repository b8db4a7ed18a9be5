using System.Text.Json.Nodes;
using Dapper;
using Tollgate.Storage;

namespace Tollgate.Analytics.Customers;

/// <summary>A customer at or past a share of one of its quotas or limits in the current period: who to offer an upgrade.</summary>
public sealed record NearLimit(
    string CustomerId, string Type, string Counter, int Threshold, decimal Used, decimal Limit, DateTimeOffset PeriodEnd, DateTimeOffset ReachedAt);

/// <summary>
/// Customers near their limits, from the threshold alerts the gateway and the metering raise (quota, limit and budget
/// thresholds, 80 % and 100 % by default): for each customer and quota or limit, the highest threshold reached in a
/// period that has not ended, at or above the share asked for.
/// </summary>
public sealed class NearLimits(Database database, TimeProvider time)
{
    public async Task<IReadOnlyList<NearLimit>> ListAsync(int threshold, string? customerId, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<(string Type, string? CustomerId, string Payload, DateTimeOffset CreatedAt)>(
            """
            SELECT type, customer_id, payload, created_at FROM outbox
            WHERE type LIKE '%.threshold_reached' AND created_at >= @since AND (@customerId IS NULL OR customer_id = @customerId)
            """, new { since = now.AddDays(-400), customerId });
        var reached = new List<NearLimit>();
        foreach (var row in rows)
        {
            if (row.CustomerId is null || JsonNode.Parse(row.Payload) is not JsonObject data) continue;
            var end = data["period_end"]?.GetValue<DateTimeOffset>();
            var share = data["threshold"]?.GetValue<int>() ?? 0;
            if (end is not { } periodEnd || periodEnd <= now || share < threshold) continue;
            var counter = data["feature"]?.GetValue<string>() ?? data["limit_id"]?.GetValue<string>() ?? "";
            var limit = data["limit"]?.GetValue<decimal>() ?? data["amount"]?.GetValue<decimal>() ?? 0;
            reached.Add(new NearLimit(row.CustomerId, row.Type, counter, share, data["used"]?.GetValue<decimal>() ?? 0, limit, periodEnd, row.CreatedAt));
        }

        return [.. reached.GroupBy(r => (r.CustomerId, r.Counter)).Select(g => g.MaxBy(r => r.Threshold)!).OrderByDescending(r => r.Threshold).ThenBy(r => r.CustomerId, StringComparer.Ordinal)];
    }
}
