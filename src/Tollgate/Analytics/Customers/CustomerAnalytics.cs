using Dapper;
using Tollgate.Analytics.Mrr;
using Tollgate.Storage;

namespace Tollgate.Analytics.Customers;

/// <summary><c>GET /api/v1/analytics/customers/{id}</c>: a customer's MRR and its movements, the last 30 days of gateway usage with its margin, and its health.</summary>
public sealed record CustomerAnalyticsView(
    string CustomerId, IReadOnlyDictionary<string, long> Mrr, IReadOnlyList<MrrMovementView> Movements, CustomerUsage UsageLast30Days, HealthScore Health);

/// <summary>Requests, tokens, cost, charge and margin in nanodollars.</summary>
public sealed record CustomerUsage(long Requests, long InputTokens, long OutputTokens, long CostNanos, long ChargeNanos, long MarginNanos);

/// <summary>One customer's analytics, as of its own clock's time (a test clock's, if it has one).</summary>
public sealed class CustomerAnalytics(Database database, NearLimits nearLimits, TimeProvider time)
{
    public async Task<CustomerAnalyticsView?> GetAsync(string customerId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        if (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM customers WHERE id = @customerId", new { customerId }) == 0) return null;
        // A test-clock customer lives at its clock's time.
        var now = await Tollgate.Customers.CustomerClocks.FrozenTimeAsync(connection, null, customerId) ?? time.GetUtcNow();

        var movements = (await connection.QueryAsync<MrrMovementView>(
            "SELECT id, customer_id, currency, at, kind, amount, mrr_before, mrr_after FROM mrr_movements WHERE customer_id = @customerId ORDER BY at",
            new { customerId })).ToList();
        var mrr = movements.GroupBy(m => m.Currency).ToDictionary(g => g.Key, g => g.Where(m => m.At <= now).Select(m => m.MrrAfter).LastOrDefault());

        var usage = await connection.QuerySingleAsync<(long Requests, long Input, long Output, long Cost, long Charge)>(
            """
            SELECT COUNT(*), COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0), COALESCE(SUM(cost_nanos), 0), COALESCE(SUM(charge_nanos), 0)
            FROM usage_records WHERE customer_id = @customerId AND created_at >= @from AND created_at < @now
            """, new { customerId, from = now.AddDays(-30), now });
        var previous = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM usage_records WHERE customer_id = @customerId AND created_at >= @from AND created_at < @to", new { customerId, from = now.AddDays(-60), to = now.AddDays(-30) });
        var last = await connection.ExecuteScalarAsync<DateTimeOffset?>("SELECT MAX(created_at) FROM usage_records WHERE customer_id = @customerId AND created_at <= @now", new { customerId, now });
        var failed = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM invoices WHERE customer_id = @customerId AND payment_attempts > 0 AND created_at >= @from", new { customerId, from = now.AddDays(-90) });
        var members = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM members WHERE customer_id = @customerId", new { customerId });
        var seats = await connection.ExecuteScalarAsync<long?>(
            "SELECT MAX(quantity) FROM subscriptions WHERE customer_id = @customerId AND status IN ('active', 'past_due', 'trialing')", new { customerId }) ?? 0;

        var highest = (await nearLimits.ListAsync(80, customerId, ct)).Select(n => (int?)n.Threshold).Max();
        var health = HealthRules.Of(new HealthInputs(
            usage.Requests, previous, last is { } at ? (int)(now - at).TotalDays : null, checked((int)failed),
            movements.Count(m => m.Kind == "contraction" && m.At >= now.AddDays(-90) && m.At <= now), checked((int)members), seats,
            mrr.Values.Sum(), movements.Any(m => m.MrrAfter > 0 && m.At <= now), highest));
        return new CustomerAnalyticsView(customerId, mrr, movements,
            new CustomerUsage(usage.Requests, usage.Input, usage.Output, usage.Cost, usage.Charge, checked(usage.Charge - usage.Cost)), health);
    }
}
