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
    public async Task Paying_in_advance_without_a_fixed_amount_is_refused_with_its_field()
    {
        var applied = await server.TestAdmin.PostAsync("/api/v1/catalog/apply", new
        {
            metrics = new[] { new { code = "adv_calls", name = "Calls", aggregation = "count" } },
            plans = new[] { new { code = $"adv_bad_{Guid.NewGuid():N}"[..20], name = "Bad",
                charges = new[] { new { metric = "adv_calls", currency = "USD", model = "per_unit", properties = new { unit_amount = 1, pay_in_advance = true } } } } },
        });
        applied.Status.ShouldBe(HttpStatusCode.BadRequest);
        applied.FieldErrors.ShouldContain(f => f.EndsWith("pay_in_advance", StringComparison.Ordinal));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class AdvanceChargesOnSqlite(SqliteServer server) : AdvanceChargeTests(server);

[Collection(PostgresCollection.Name)]
public sealed class AdvanceChargesOnPostgres(PostgresServer server) : AdvanceChargeTests(server);
