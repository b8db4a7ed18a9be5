using Tollgate.Gateway.Usage;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Analytics;

/// <summary>The gateway's usage records, as its own store writes them, added up over HTTP by model, day and key, with cost, charge and margin.</summary>
public abstract class UsageAnalyticsTests(TollgateServer server)
{
    [Fact]
    public async Task Usage_is_grouped_by_model_and_day_with_its_cost_charge_and_margin()
    {
        var customer = (await server.Admin.PostAsync("/api/v1/customers", new { name = "Margins" })).Id;
        var day = new DateTimeOffset(2031, 6, 1, 12, 0, 0, TimeSpan.Zero);
        UsageRecord Record(string model, int dayOffset, long input, long output, long cost, long charge) => new()
        {
            Id = $"req_{Guid.NewGuid():N}", CustomerId = customer, KeyId = "key_margins", Mode = "live", Operation = "chat.completions", RequestedModel = model,
            ServedModel = model, Provider = "openai", InputTokens = input, OutputTokens = output, Status = "succeeded", HttpStatus = 200, Attempts = 1,
            CostNanos = cost, ChargeNanos = charge, PriceVersion = "v1", CreatedAt = day.AddDays(dayOffset),
        };
        await server.Get<UsageStore>().InsertAsync(
        [
            Record("gpt-4o-mini", 0, 100, 20, 1_000, 1_500),
            Record("gpt-4o-mini", 0, 300, 40, 3_000, 4_500),
            Record("gpt-4o", 0, 50, 10, 10_000, 12_000),
            Record("gpt-4o-mini", 1, 10, 2, 100, 150),
            Record("gpt-4o-mini", 3, 10, 2, 100, 150), // outside the window
        ], CancellationToken.None);
        string Q(DateTimeOffset at) => Uri.EscapeDataString(at.ToString("O"));
        var window = $"from={Q(day.Date)}&to={Q(day.Date.AddDays(2))}&customer_id={customer}";

        var report = await server.Admin.GetAsync($"/api/v1/analytics/usage?group_by=model,day&{window}");
        report.Status.ShouldBe(HttpStatusCode.OK, report.Body?.ToJsonString());
        report.Data.Select(g => (g!["group"]!["model"]!.GetValue<string>(), g["group"]!["day"]!.GetValue<string>(), g["requests"]!.GetValue<long>(),
                g["input_tokens"]!.GetValue<long>(), g["cost_nanos"]!.GetValue<long>(), g["charge_nanos"]!.GetValue<long>(), g["margin_nanos"]!.GetValue<long>()))
            .ShouldBe(
            [
                ("gpt-4o", "2031-06-01", 1L, 50L, 10_000L, 12_000L, 2_000L),
                ("gpt-4o-mini", "2031-06-01", 2L, 400L, 4_000L, 6_000L, 2_000L),
                ("gpt-4o-mini", "2031-06-02", 1L, 10L, 100L, 150L, 50L),
            ]);
        report.Data[1]!["margin_rate"]!.GetValue<decimal>().ShouldBe(0.333333m);

        var total = (await server.Admin.GetAsync($"/api/v1/analytics/usage?{window}")).Data.ShouldHaveSingleItem()!;
        (total["requests"]!.GetValue<long>(), total["cost_nanos"]!.GetValue<long>(), total["margin_nanos"]!.GetValue<long>()).ShouldBe((4L, 14_100L, 4_050L));

        (await server.Admin.GetAsync($"/api/v1/analytics/usage?group_by=colour&{window}")).Status.ShouldBe(HttpStatusCode.BadRequest);
        (await server.Admin.GetAsync($"/api/v1/analytics/usage?group_by=model,model&{window}")).Status.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Gross_margin_is_what_paid_invoices_collected_less_what_the_models_cost_by_customer_and_by_plan()
    {
        var start = new DateTimeOffset(2034, 3, 1, 0, 0, 0, TimeSpan.Zero);
        var plan = $"mgn_{Guid.NewGuid():N}"[..20];
        (await server.TestAdmin.PostAsync("/api/v1/catalog/apply", new
        {
            plans = new[] { new { code = plan, name = "Margin", prices = new[] { new { interval = "month", currency = "USD", amount = 2900 } } } },
        })).Status.ShouldBe(HttpStatusCode.OK);
        var clock = (await server.TestAdmin.PostAsync("/api/v1/test-clocks", new { frozen_time = start.AddDays(2) })).Id;
        var customer = (await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "Margin", test_clock_id = clock })).Id;
        (await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan, trial_days = 0 })).Status.ShouldBe(HttpStatusCode.Created);
        var invoice = (await server.TestAdmin.GetAsync($"/api/v1/invoices?customer_id={customer}")).Data.Single()!["id"]!.GetValue<string>();
        (await server.TestAdmin.PostAsync($"/api/v1/invoices/{invoice}/pay", new { })).Status.ShouldBe(HttpStatusCode.OK);
        await server.Get<UsageStore>().InsertAsync(
        [
            new UsageRecord
            {
                Id = $"req_{Guid.NewGuid():N}", CustomerId = customer, KeyId = "key_margin", Mode = "test", Operation = "chat.completions", RequestedModel = "gpt-4o",
                ServedModel = "gpt-4o", Provider = "openai", InputTokens = 1000, OutputTokens = 100, Status = "succeeded", HttpStatus = 200, Attempts = 1,
                CostNanos = 500_000_000, ChargeNanos = 750_000_000, PriceVersion = "v1", CreatedAt = start.AddDays(3),
            },
        ], CancellationToken.None);
        string Q(DateTimeOffset at) => Uri.EscapeDataString(at.ToString("O"));
        var window = $"from={Q(start)}&to={Q(start.AddMonths(1))}";

        var byCustomer = (await server.Admin.GetAsync($"/api/v1/analytics/margins?group_by=customer&{window}")).Body!;
        byCustomer["currency"]!.GetValue<string>().ShouldBe("USD");
        var mine = byCustomer["data"]!.AsArray().Single(m => m!["key"]!.GetValue<string>() == customer)!;
        (mine["revenue"]!.GetValue<long>(), mine["model_cost"]!.GetValue<long>(), mine["gross_margin"]!.GetValue<long>(), mine["gross_margin_rate"]!.GetValue<decimal>())
            .ShouldBe((2900L, 50L, 2850L, 0.982759m), "$29.00 collected, 50 cents of gpt-4o");
        var byPlan = (await server.Admin.GetAsync($"/api/v1/analytics/margins?group_by=plan&{window}")).Data.Single(m => m!["key"]!.GetValue<string>() == plan)!;
        (byPlan["revenue"]!.GetValue<long>(), byPlan["model_cost"]!.GetValue<long>()).ShouldBe((2900L, 50L));
        (await server.Admin.GetAsync($"/api/v1/analytics/margins?group_by=model&{window}")).Status.ShouldBe(HttpStatusCode.BadRequest);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class UsageAnalyticsOnSqlite(SqliteServer server) : UsageAnalyticsTests(server);

[Collection(PostgresCollection.Name)]
public sealed class UsageAnalyticsOnPostgres(PostgresServer server) : UsageAnalyticsTests(server);
