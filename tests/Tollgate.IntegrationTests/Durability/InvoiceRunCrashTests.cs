using System.Diagnostics;
using Dapper;
using Tollgate.IntegrationTests.Infrastructure;
using Tollgate.Storage;

namespace Tollgate.IntegrationTests.Durability;

/// <summary>
/// An invoice run killed with SIGKILL in the middle, then run again on the restarted server, bills every subscription
/// that was due exactly once: each period advanced by one interval, one invoice each, the invoice numbers one unbroken
/// sequence (a number taken by a killed transaction is given back with it), and no invoice half written.
/// </summary>
public abstract class InvoiceRunCrashTests
{
    const int Subscriptions = 2_000;

    protected abstract Task<ITestDatabase> CreateDatabaseAsync();

    protected virtual string[] Settings => [];

    [Fact]
    public async Task Kill_9_in_the_middle_of_an_invoice_run_then_running_again_bills_every_period_once()
    {
        await using var database = await CreateDatabaseAsync();
        var adminKey = GatewayUsageDurabilityTests.AdminKey();
        await using var db = new Database(ConnectionTarget.Parse(database.ConnectionString));
        int billedAtKill;
        await using (var first = await TollgateProcess.StartAsync(database.ConnectionString, adminKey, Settings))
        {
            var admin = new ApiClient(first.BaseAddress, adminKey);
            var plan = (await admin.PostAsync("/api/v1/plans", new { code = "crash", name = "Crash", version = new { prices = new[] { new { interval = "month", currency = "USD", amount = 1000 } } }, publish = true }));
            plan.Status.ShouldBe(HttpStatusCode.Created);
            var customer = (await admin.PostAsync("/api/v1/customers", new { name = "Many subscriptions" })).Id;
            await DueSubscriptionsAsync(db, customer);

            using var http = new HttpClient { BaseAddress = first.BaseAddress };
            http.DefaultRequestHeaders.Authorization = new("Bearer", adminKey);
            var run = http.PostAsync("/api/v1/invoice-runs", null); // never finishes: the process dies under it
            var deadline = Stopwatch.StartNew();
            while (await InvoicesAsync(db) < 100 && deadline.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(10);
            await first.KillAsync();
            await Should.ThrowAsync<Exception>(run);
            billedAtKill = await InvoicesAsync(db);
        }

        billedAtKill.ShouldBeInRange(100, Subscriptions - 1, "the kill must come in the middle of the run");
        await using var second = await TollgateProcess.StartAsync(database.ConnectionString, adminKey, Settings);
        var again = await new ApiClient(second.BaseAddress, adminKey).PostAsync("/api/v1/invoice-runs");
        again.Status.ShouldBe(HttpStatusCode.OK);

        await using var connection = await db.OpenAsync();
        var periods = (await connection.QueryAsync<(string Id, DateTimeOffset Start, DateTimeOffset End)>(
            "SELECT id, current_period_start, current_period_end FROM subscriptions")).ToList();
        periods.Count.ShouldBe(Subscriptions);
        periods.ShouldAllBe(p => p.Start == DueEnd && p.End == DueEnd.AddMonths(1), "every period advanced by exactly one month");
        var invoices = (await connection.QueryAsync<(string Subscription, string Number, long Subtotal, long Lines, long Sum)>(
            """
            SELECT i.subscription_id, i.number, i.subtotal, COUNT(l.position), COALESCE(SUM(l.amount), 0)
            FROM invoices i LEFT JOIN invoice_lines l ON l.invoice_id = i.id
            GROUP BY i.subscription_id, i.number, i.subtotal
            """)).ToList();
        invoices.GroupBy(i => i.Subscription).ShouldAllBe(g => g.Count() == 1, "one invoice per subscription");
        invoices.Count.ShouldBe(Subscriptions);
        invoices.ShouldAllBe(i => i.Lines == 1 && i.Sum == i.Subtotal && i.Subtotal == 1000, "no invoice half written");
        invoices.Select(i => i.Number).Order(StringComparer.Ordinal)
            .ShouldBe(Enumerable.Range(1, Subscriptions).Select(n => $"TG-{n:D6}"), "the numbers have no gap and no repeat");
    }

    /// <summary>A period end an hour ago, to the second: the server bills by its own (real) clock.</summary>
    static readonly DateTimeOffset DueEnd = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds());

    /// <summary>Subscriptions whose period ended an hour ago, written as the store writes them (arranged, not billed).</summary>
    static async Task DueSubscriptionsAsync(Database db, string customer)
    {
        await using var connection = await db.OpenAsync();
        await using var tx = await connection.BeginTransactionAsync();
        var start = DueEnd.AddMonths(-1);
        var rows = Enumerable.Range(0, Subscriptions).Select(i => new
        {
            id = $"sub_crash{i:D6}", customer, start, end = DueEnd, now = start,
        });
        await connection.ExecuteAsync(
            """
            INSERT INTO subscriptions (id, customer_id, plan_code, plan_version, billing_interval, currency, quantity, unit_amount, status, billing_anchor,
                current_period_start, current_period_end, cancel_at_period_end, created_at, updated_at)
            VALUES (@id, @customer, 'crash', 1, 'month', 'USD', 1, 1000, 'active', @start, @start, @end, FALSE, @now, @now)
            """, rows, tx);
        await tx.CommitAsync();
    }

    static async Task<int> InvoicesAsync(Database db)
    {
        await using var connection = await db.OpenAsync();
        return await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM invoices");
    }
}

public sealed class InvoiceRunCrashOnSqlite : InvoiceRunCrashTests
{
    protected override Task<ITestDatabase> CreateDatabaseAsync() => Task.FromResult<ITestDatabase>(new SqliteTestDatabase());
}

public sealed class InvoiceRunCrashOnPostgres : InvoiceRunCrashTests
{
    protected override string[] Settings => [$"--Secrets:Key={Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))}"];

    protected override async Task<ITestDatabase> CreateDatabaseAsync() => await PostgresTestDatabase.CreateAsync();
}
