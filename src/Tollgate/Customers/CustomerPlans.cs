using System.Data.Common;
using Dapper;
using Tollgate.Storage;

namespace Tollgate.Customers;

/// <summary>A plan a customer had from <see cref="Since"/> until the next entry; no plan when <see cref="Plan"/> is null.</summary>
public sealed record PlanSpan(DateTimeOffset Since, string? Plan, int? Version);

/// <summary>
/// A customer's plans over time (<c>customer_plans</c>), written in the transaction of every change of the customer's
/// plan: a quota of a period the plan changed in is each plan's share of that period (Entitlements), so that moving to a
/// larger plan late in a period cannot farm its whole quota.
/// </summary>
public static class CustomerPlans
{
    const string Upsert =
        """
        INSERT INTO customer_plans (customer_id, since, plan_code, plan_version) VALUES (@customerId, @since, @plan, @version)
        ON CONFLICT (customer_id, since) DO UPDATE SET plan_code = excluded.plan_code, plan_version = excluded.plan_version
        """;

    /// <summary>How far back the history is read: a quota period is at most a year.</summary>
    public static readonly TimeSpan Kept = TimeSpan.FromDays(370);

    /// <summary>
    /// Records that the customer has <paramref name="plan"/> (<paramref name="version"/>) from <paramref name="now"/>,
    /// before the caller writes it on the customer; false, recording nothing, when that is the plan it has. The first
    /// entry also records the plan it had until then, since it was created. Two changes at one instant keep the last.
    /// </summary>
    public static async Task<bool> RecordAsync(DbTransaction tx, string customerId, string? plan, int? version, DateTimeOffset now)
    {
        var connection = tx.Connection!;
        var before = await connection.QuerySingleAsync<(string? Plan, long? Version, object Created)>(
            "SELECT plan_code, plan_version, created_at FROM customers WHERE id = @customerId", new { customerId }, tx);
        if (before.Plan == plan && before.Version == version) return false;
        if (before.Plan is not null && await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM customer_plans WHERE customer_id = @customerId", new { customerId }, tx) == 0)
        {
            var created = DapperSetup.ReadTimestamp(before.Created);
            var since = created < now ? created : now.AddTicks(-10);
            await connection.ExecuteAsync(Upsert, new { customerId, since, plan = before.Plan, version = (int?)before.Version }, tx);
        }

        await connection.ExecuteAsync(Upsert, new { customerId, since = now, plan, version }, tx);
        return true;
    }

    /// <summary>The customer's plans since <paramref name="from"/> (and the one it had then), oldest first; empty when it never changed.</summary>
    public static async Task<IReadOnlyList<PlanSpan>> SinceAsync(DbConnection connection, string customerId, DateTimeOffset from)
    {
        var rows = await connection.QueryAsync<(object Since, string? Plan, long? Version)>(
            """
            SELECT since, plan_code, plan_version FROM customer_plans
            WHERE customer_id = @customerId AND since >= COALESCE((SELECT MAX(since) FROM customer_plans WHERE customer_id = @customerId AND since <= @from), @from)
            ORDER BY since
            """, new { customerId, from });
        return [.. rows.Select(r => new PlanSpan(DapperSetup.ReadTimestamp(r.Since), r.Plan, (int?)r.Version))];
    }
}
