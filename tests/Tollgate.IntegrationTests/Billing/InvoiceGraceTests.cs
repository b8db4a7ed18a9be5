using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Billing;

/// <summary>
/// <c>Billing:InvoiceGrace</c>: a period's invoice waits for usage that arrives late, so events stamped in the period
/// but sent after it ended are on its invoice, not lost to it. A server of its own, so the grace changes no other test.
/// </summary>
public abstract class InvoiceGraceTests
{
    protected abstract Task<ITestDatabase> CreateDatabaseAsync();

    protected virtual string[] Settings => [];

    static DateTimeOffset At(int month, int day, int hour = 0) => new(2027, month, day, hour, 0, 0, TimeSpan.Zero);

    /// <summary>A server of its own on the database, with two days' grace and no invoice run of its own, and its admin client.</summary>
    async Task<(TollgateProcess Server, ApiClient Admin)> StartAsync(ITestDatabase database)
    {
        var adminKey = "tg_admin_test_" + new string([.. Enumerable.Range(0, 43).Select(_ => "abcdefghijklmnopqrstuvwxyz0123456789"[Random.Shared.Next(36)])]);
        var server = await TollgateProcess.StartAsync(database.ConnectionString, adminKey, [.. Settings, "--Billing:InvoiceGrace=2.00:00:00", "--Billing:RunEvery=00:00:00"]);
        return (server, new ApiClient(server.BaseAddress, adminKey));
    }

    [Fact]
    public async Task Usage_sent_after_the_period_ended_but_within_the_grace_is_on_the_periods_invoice()
    {
        await using var database = await CreateDatabaseAsync();
        var (server, admin) = await StartAsync(database);
        await using var _ = server;
        var applied = await admin.PostAsync("/api/v1/catalog/apply", new
        {
            metrics = new[] { new { code = "calls", name = "Calls", aggregation = "count" } },
            plans = new[] { new { code = "metered", name = "Metered", prices = new[] { new { interval = "month", currency = "USD", amount = 1000 } },
                charges = new[] { new { metric = "calls", currency = "USD", model = "per_unit", properties = new { unit_amount = 1 } } } } },
        });
        applied.Status.ShouldBe(HttpStatusCode.OK, applied.Body?.ToJsonString());
        var clock = (await admin.PostAsync("/api/v1/test-clocks", new { frozen_time = At(1, 1) })).Id;
        var customer = (await admin.PostAsync("/api/v1/customers", new { name = "Late sender", test_clock_id = clock })).Id;
        var subscription = (await admin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan = "metered" })).Id;
        async Task AdvanceAsync(DateTimeOffset to) => (await admin.PostAsync($"/api/v1/test-clocks/{clock}/advance", new { frozen_time = to })).Status.ShouldBe(HttpStatusCode.OK);
        async Task CallsAsync(int count, DateTimeOffset at)
        {
            var events = Enumerable.Range(0, count).Select(_ => new { id = $"e-{Guid.NewGuid():N}", code = "calls", customer_id = customer, timestamp = at }).ToArray();
            (await admin.PostAsync("/api/v1/events/batch", new { events })).Body!["accepted"]!.GetValue<int>().ShouldBe(count);
        }

        async Task<int> InvoicesAsync() => (await admin.GetAsync($"/api/v1/invoices?subscription_id={subscription}")).Data.Count;

        await AdvanceAsync(At(1, 20));
        await CallsAsync(100, At(1, 20));
        await AdvanceAsync(At(2, 1, 6)); // the period ended six hours ago: its invoice waits
        (await InvoicesAsync()).ShouldBe(1);
        (await admin.GetAsync($"/api/v1/subscriptions/{subscription}")).Str("status").ShouldBe("active");
        await CallsAsync(50, At(1, 31, 23)); // sent late, stamped in January

        await AdvanceAsync(At(2, 4));

        var renewal = (await admin.GetAsync($"/api/v1/invoices?subscription_id={subscription}")).Data
            .Single(i => i!["billing_reason"]!.GetValue<string>() == "subscription_cycle")!;
        renewal["lines"]!.AsArray().Select(l => (l!["kind"]!.GetValue<string>(), l["amount"]!.GetValue<long>())).ShouldBe([("subscription", 1000L), ("usage", 150L)], ignoreOrder: true);
        renewal["period_start"]!.GetValue<DateTimeOffset>().ShouldBe(At(1, 1));
    }

    [Fact]
    public async Task Within_the_grace_a_change_now_waits_for_the_invoice_and_a_cancellation_now_takes_effect_at_the_periods_end()
    {
        await using var database = await CreateDatabaseAsync();
        var (server, admin) = await StartAsync(database);
        await using var _ = server;
        (await admin.PostAsync("/api/v1/catalog/apply", new
        {
            metrics = new[] { new { code = "calls", name = "Calls", aggregation = "count" } },
            plans = new[]
            {
                new { code = "metered", name = "Metered", prices = new[] { new { interval = "month", currency = "USD", amount = 1000 } },
                    charges = new[] { new { metric = "calls", currency = "USD", model = "per_unit", properties = new { unit_amount = 1 } } } },
                new { code = "bigger", name = "Bigger", prices = new[] { new { interval = "month", currency = "USD", amount = 3000 } },
                    charges = new[] { new { metric = "calls", currency = "USD", model = "per_unit", properties = new { unit_amount = 1 } } } },
            },
        })).Status.ShouldBe(HttpStatusCode.OK);
        var clock = (await admin.PostAsync("/api/v1/test-clocks", new { frozen_time = At(1, 1) })).Id;
        var customer = (await admin.PostAsync("/api/v1/customers", new { name = "Leaving late", test_clock_id = clock })).Id;
        var subscription = (await admin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan = "metered" })).Id;
        await admin.AdvanceClockAsync(clock, At(1, 20));
        await admin.SendUsageAsync(customer, "calls", 30, At(1, 20));
        await admin.AdvanceClockAsync(clock, At(2, 1, 6)); // January ended six hours ago; its invoice waits two days

        var change = await admin.PostAsync($"/api/v1/subscriptions/{subscription}/change", new { plan = "bigger" });
        (change.Status, change.Code).ShouldBe((HttpStatusCode.Conflict, "period_not_billed"));
        var cancel = await admin.PostAsync($"/api/v1/subscriptions/{subscription}/cancel", new { at = "now", prorate = true });
        (cancel.Str("status"), cancel.Body!["cancel_at_period_end"]!.GetValue<bool>()).ShouldBe(("active", true), cancel.Body.ToJsonString());

        await admin.AdvanceClockAsync(clock, At(2, 4));

        var ended = await admin.GetAsync($"/api/v1/subscriptions/{subscription}");
        (ended.Str("status"), ended.Str("ended_at"), ended.Str("plan")).ShouldBe(("canceled", "2027-02-01T00:00:00+00:00", "metered"));
        var last = (await admin.GetAsync($"/api/v1/invoices?subscription_id={subscription}")).Data.Single(i => i!["billing_reason"]!.GetValue<string>() == "subscription_end")!;
        last["lines"]!.AsArray().Select(l => (l!["kind"]!.GetValue<string>(), l["amount"]!.GetValue<long>())).ShouldBe([("usage", 30L)]);
    }
}

public sealed class InvoiceGraceOnSqlite : InvoiceGraceTests
{
    protected override Task<ITestDatabase> CreateDatabaseAsync() => Task.FromResult<ITestDatabase>(new SqliteTestDatabase());
}

public sealed class InvoiceGraceOnPostgres : InvoiceGraceTests
{
    protected override string[] Settings => [$"--Secrets:Key={Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))}"];

    protected override async Task<ITestDatabase> CreateDatabaseAsync() => await PostgresTestDatabase.CreateAsync();
}
