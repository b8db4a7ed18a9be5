using System.Text.Json.Nodes;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Billing;

/// <summary>A charge paid in advance: its fixed amount billed with the period it covers, its usage at the period's end.</summary>
public abstract class AdvanceChargeTests(TollgateServer server)
{
    static DateTimeOffset At(int month, int day) => new(2027, month, day, 0, 0, 0, TimeSpan.Zero);

    static IEnumerable<(string, string?, long)> Lines(JsonNode invoice) =>
        invoice["lines"]!.AsArray().Select(l => (l!["kind"]!.GetValue<string>(), l["detail"]?.GetValue<string>(), l["amount"]!.GetValue<long>()));

    [Fact]
    public async Task The_fixed_amount_is_billed_at_the_start_of_each_period_and_the_usage_at_its_end()
    {
        var (plan, metric) = ($"adv_{Guid.NewGuid():N}"[..20], $"calls_{Guid.NewGuid():N}"[..20]);
        var applied = await server.TestAdmin.PostAsync("/api/v1/catalog/apply", new
        {
            metrics = new[] { new { code = metric, name = "Calls", aggregation = "count" } },
            plans = new[]
            {
                new
                {
                    code = plan, name = "Advance",
                    prices = new[] { new { interval = "month", currency = "USD", amount = 1000 } },
                    charges = new[] { new { metric, currency = "USD", model = "per_unit", properties = new { unit_amount = 1, fixed_amount = 500, pay_in_advance = true } } },
                },
            },
        });
        applied.Status.ShouldBe(HttpStatusCode.OK, applied.Body?.ToJsonString());
        var clock = (await server.TestAdmin.PostAsync("/api/v1/test-clocks", new { frozen_time = At(1, 1) })).Id;
        var customer = (await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "In advance", test_clock_id = clock })).Id;
        var subscription = (await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan })).Id;

        var first = (await server.TestAdmin.GetAsync($"/api/v1/invoices?subscription_id={subscription}")).Data.Single()!;
        Lines(first).Where(l => l.Item1 == "usage").ShouldBe([("usage", "fixed_in_advance", 500L)]);
        first["total"]!.GetValue<long>().ShouldBe(1500);

        await server.TestAdmin.AdvanceClockAsync(clock, At(1, 20));
        await server.TestAdmin.SendUsageAsync(customer, metric, 300, At(1, 20));
        await server.TestAdmin.AdvanceClockAsync(clock, At(2, 2));

        var renewal = (await server.TestAdmin.GetAsync($"/api/v1/invoices?subscription_id={subscription}")).Data.Single(i => i!["billing_reason"]!.GetValue<string>() == "subscription_cycle")!;
        // January's usage in arrears, without the fixed amount January already paid; February's price and fixed amount ahead.
        Lines(renewal).Where(l => l.Item3 != 0).ShouldBe([("subscription", null, 1000L), ("usage", "fixed_in_advance", 500L), ("usage", "units", 300L)], ignoreOrder: true);
    }

    [Fact]
    public async Task A_plan_changed_halfway_prorates_the_fixed_amounts_paid_in_advance_as_it_prorates_the_price()
    {
        var (basic, pro, metric) = ($"advb_{Guid.NewGuid():N}"[..20], $"advp_{Guid.NewGuid():N}"[..20], $"calls_{Guid.NewGuid():N}"[..20]);
        object Plan(string code, long price, long fixedAmount) => new
        {
            code, name = code, prices = new[] { new { interval = "month", currency = "USD", amount = price }, new { interval = "year", currency = "USD", amount = price * 10 } },
            charges = new[] { new { metric, currency = "USD", model = "per_unit", properties = new { unit_amount = 1, fixed_amount = fixedAmount, pay_in_advance = true } } },
        };
        var applied = await server.TestAdmin.PostAsync("/api/v1/catalog/apply", new
        {
            metrics = new[] { new { code = metric, name = "Calls", aggregation = "count" } },
            plans = new[] { Plan(basic, 1000, 500), Plan(pro, 2000, 1500) },
        });
        applied.Status.ShouldBe(HttpStatusCode.OK, applied.Body?.ToJsonString());
        var clock = (await server.TestAdmin.PostAsync("/api/v1/test-clocks", new { frozen_time = At(4, 1) })).Id;
        var customer = (await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "Upgrader", test_clock_id = clock })).Id;
        var subscription = (await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan = basic })).Id;
        await server.TestAdmin.AdvanceClockAsync(clock, At(4, 16)); // half of April's 30 days left

        var upgraded = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/change", new { plan = pro, proration = "invoice_now" });

        upgraded.Status.ShouldBe(HttpStatusCode.OK, upgraded.Body?.ToJsonString());
        var invoice = upgraded.Body!["invoice"]!;
        Lines(invoice).Where(l => l.Item1 == "proration").ShouldBe(
            [("proration", "unused_time", -500L), ("proration", "remaining_time", 1000L), ("proration", "unused_time", -250L), ("proration", "remaining_time", 750L)],
            ignoreOrder: true);
        invoice["total"]!.GetValue<long>().ShouldBe(1000);

        // Then to a year, now: the unused half of April's price and fixed amount credited, the year's billed ahead.
        var yearly = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/change", new { interval = "year" });
        yearly.Status.ShouldBe(HttpStatusCode.OK, yearly.Body?.ToJsonString());
        Lines(yearly.Body!["invoice"]!).ShouldBe(
            [("proration", "unused_time", -1000L), ("proration", "unused_time", -750L), ("subscription", null, 20000L), ("usage", "fixed_in_advance", 1500L)],
            ignoreOrder: true);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class AdvanceChargesOnSqlite(SqliteServer server) : AdvanceChargeTests(server);

[Collection(PostgresCollection.Name)]
public sealed class AdvanceChargesOnPostgres(PostgresServer server) : AdvanceChargeTests(server);
