using Dapper;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Billing.Subscriptions;

/// <summary>
/// <c>POST /api/v1/subscriptions/migrate-plans</c>: which interval the new subscriptions bill, whether their first period
/// is invoiced, or only a report; <c>customer_ids</c> moves only those (at most 1,000), for a migration in steps.
/// </summary>
public sealed record MigratePlansRequest(BillingInterval? Interval = null, bool? BillFirstPeriod = null, bool? DryRun = null, IReadOnlyList<string>? CustomerIds = null);

public sealed record PlanMigrationSkip(string CustomerId, string Plan, string Code, string Reason);

/// <summary>What a migration did (or, in a dry run, would do): the subscriptions made, and the customers it left as they were, with why.</summary>
public sealed record PlanMigrationResult(bool DryRun, int Migrated, IReadOnlyList<string> SubscriptionIds, IReadOnlyList<PlanMigrationSkip> Skipped);

/// <summary>
/// Moves customers whose plan was set directly (before billing existed) onto subscriptions, so that every customer's
/// plan follows its subscriptions: for each live customer with a plan and no subscription, a subscription to that plan
/// at the version it was pinned to (or the current one), in its currency, active from now. The first period is not
/// invoiced unless asked (the customer paid for it elsewhere). One transaction per customer; running it again moves
/// only the customers still left.
/// </summary>
public sealed class PlanMigration(Database database, SubscriptionStore subscriptions)
{
    const int MostAtOnce = 10_000;

    public async Task<Result<PlanMigrationResult>> MigrateAsync(MigratePlansRequest request, Actor actor, CancellationToken ct)
    {
        if (request.CustomerIds is { Count: > 1_000 }) return ApiError.Invalid("customer_ids", "may list at most 1,000 customers; migrate in steps.");
        List<(string Id, string Plan, long? Version)> candidates;
        await using (var connection = await database.OpenAsync(ct))
        {
            candidates = [.. await connection.QueryAsync<(string, string, long?)>(
                $"""
                SELECT c.id, c.plan_code, c.plan_version FROM customers c
                WHERE c.deleted_at IS NULL AND c.plan_code IS NOT NULL AND c.test_clock_id IS NULL
                  AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.customer_id = c.id AND s.status <> 'canceled')
                  {(request.CustomerIds is null ? "" : $"AND c.id {database.AnyOf("ids")}")}
                ORDER BY c.id LIMIT {MostAtOnce}
                """, new { ids = database.ListOf(request.CustomerIds ?? []) })];
        }

        var made = new List<string>();
        var skipped = new List<PlanMigrationSkip>();
        foreach (var (customer, plan, version) in candidates)
        {
            var create = new CreateSubscriptionRequest(customer, plan, request.Interval ?? BillingInterval.Month, null, 1, 0);
            async Task<Result<Subscription>> Work(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction tx)
            {
                // Subscribed since the list was read: its plan follows that subscription already. Creating a subscription
                // locks the customer's row too, so the two cannot cross.
                await connection.ExecuteAsync($"SELECT id FROM customers WHERE id = @customer{database.ForUpdate}", new { customer }, tx);
                var live = await connection.ExecuteScalarAsync<long>(
                    "SELECT COUNT(*) FROM subscriptions WHERE customer_id = @customer AND status <> 'canceled'", new { customer }, tx);
                if (live > 0) return ApiError.Conflict("has_subscription", $"Customer {customer} has a subscription already.");
                return await subscriptions.CreateInAsync(tx, create, actor, (int?)version, request.BillFirstPeriod == true);
            }

            var result = request.DryRun == true ? await database.RehearseAsync(Work, ct) : await database.InTransactionAsync(Work, ct);
            if (result.IsOk) made.Add(result.Value.Id);
            else skipped.Add(new PlanMigrationSkip(customer, plan, result.Error.Code, result.Error.Message));
        }

        return new PlanMigrationResult(request.DryRun == true, made.Count, request.DryRun == true ? [] : made, skipped);
    }
}
