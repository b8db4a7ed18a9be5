using System.Text.Json.Nodes;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Billing;

/// <summary>A minimum commitment per subscription and period: what the period's price and usage fall short of it is trued up at its end.</summary>
public abstract class CommitmentTests(TollgateServer server)
{
    static DateTimeOffset At(int year, int month, int day) => new(year, month, day, 0, 0, 0, TimeSpan.Zero);

    static IEnumerable<(string, long)> Lines(JsonNode invoice) =>
        invoice["lines"]!.AsArray().Select(l => (l!["kind"]!.GetValue<string>(), l["amount"]!.GetValue<long>()));

    [Fact]
    public async Task A_period_whose_price_and_usage_fall_short_of_the_commitment_is_trued_up_and_one_that_reaches_it_is_not()
    {
        var (plan, metric) = ($"commit_{Guid.NewGuid():N}"[..20], $"calls_{Guid.NewGuid():N}"[..20]);
        var applied = await server.TestAdmin.PostAsync("/api/v1/catalog/apply", new
        {
            metrics = new[] { new { code = metric, name = "Calls", aggregation = "count" } },
            plans = new[]
            {
                new
                {
                    code = plan, name = "Committed",
                    prices = new[] { new { interval = "month", currency = "USD", amount = 1000, minimum_amount = 2500 } },
                    charges = new[] { new { metric, currency = "USD", model = "per_unit", properties = new { unit_amount = 1 } } },
                },
            },
        });
        applied.Status.ShouldBe(HttpStatusCode.OK, applied.Body?.ToJsonString());
        (await server.TestAdmin.GetAsync("/api/v1/catalog")).Body!["plans"]!.AsArray().Single(p => p!["code"]!.GetValue<string>() == plan)!["prices"]![0]!["minimum_amount"]!.GetValue<long>().ShouldBe(2500);
        var clock = (await server.TestAdmin.PostAsync("/api/v1/test-clocks", new { frozen_time = At(2027, 1, 1) })).Id;
        var customer = (await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "Committed", test_clock_id = clock })).Id;
        var subscription = (await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan })).Id;

        await server.TestAdmin.AdvanceClockAsync(clock, At(2027, 1, 20));
        await server.TestAdmin.SendUsageAsync(customer, metric, 300, At(2027, 1, 20));
        var upcoming = await server.TestAdmin.GetAsync($"/api/v1/subscriptions/{subscription}/upcoming-invoice");
        await server.TestAdmin.AdvanceClockAsync(clock, At(2027, 2, 2));

        // January: $10 and 300 calls at 1¢ is $13, $12 short of $25.
        var invoices = (await server.TestAdmin.GetAsync($"/api/v1/invoices?subscription_id={subscription}&limit=10")).Data.OrderBy(i => i!["number"]!.GetValue<string>()).ToList();
        Lines(invoices[1]!).ShouldBe([("subscription", 1000L), ("usage", 300L), ("commitment", 1200L)], ignoreOrder: true);
        invoices[1]!["total"]!.GetValue<long>().ShouldBe(2500);
        Lines(upcoming.Body!).ShouldBe(Lines(invoices[1]!)); // the upcoming invoice said so

        // February: $10 and 2,000 calls is $30, beyond the commitment.
        await server.TestAdmin.SendUsageAsync(customer, metric, 2000, At(2027, 2, 2));
        await server.TestAdmin.AdvanceClockAsync(clock, At(2027, 3, 2));
        var march = (await server.TestAdmin.GetAsync($"/api/v1/invoices?subscription_id={subscription}&limit=10")).Data.OrderBy(i => i!["number"]!.GetValue<string>()).Last()!;
        Lines(march).ShouldBe([("subscription", 1000L), ("usage", 2000L)], ignoreOrder: true);
    }

    [Fact]
    public async Task A_fixed_amount_paid_in_advance_counts_toward_the_commitment_of_the_period_it_paid_for_not_of_the_next()
    {
        var (plan, metric) = ($"commitadv_{Guid.NewGuid():N}"[..20], $"calls_{Guid.NewGuid():N}"[..20]);
        (await server.TestAdmin.PostAsync("/api/v1/catalog/apply", new
        {
            metrics = new[] { new { code = metric, name = "Calls", aggregation = "count" } },
            plans = new[]
            {
                new
                {
                    code = plan, name = "Committed ahead",
                    prices = new[] { new { interval = "month", currency = "USD", amount = 1000, minimum_amount = 2500 } },
                    charges = new[] { new { metric, currency = "USD", model = "per_unit", properties = new { unit_amount = 1, fixed_amount = 400, pay_in_advance = true } } },
                },
            },
        })).Status.ShouldBe(HttpStatusCode.OK);
        var clock = (await server.TestAdmin.PostAsync("/api/v1/test-clocks", new { frozen_time = At(2027, 1, 1) })).Id;
        var customer = (await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "Committed ahead", test_clock_id = clock })).Id;
        var subscription = (await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan })).Id;
        await server.TestAdmin.AdvanceClockAsync(clock, At(2027, 1, 20));
        await server.TestAdmin.SendUsageAsync(customer, metric, 300, At(2027, 1, 20));
        (await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/cancel", new { at = "period_end" })).Status.ShouldBe(HttpStatusCode.OK);

        await server.TestAdmin.AdvanceClockAsync(clock, At(2027, 2, 2));

        // January: $10 and $4 paid ahead on 1 January, and 300 calls at 1¢: $17, $8 short of $25. No February ahead.
        var last = (await server.TestAdmin.GetAsync($"/api/v1/invoices?subscription_id={subscription}&limit=10")).Data
            .Single(i => i!["billing_reason"]!.GetValue<string>() == "subscription_end")!;
        Lines(last).ShouldBe([("usage", 300L), ("commitment", 800L)], ignoreOrder: true);
    }

    [Fact]
    public async Task A_negative_commitment_is_refused_with_its_field()
    {
        var applied = await server.TestAdmin.PostAsync("/api/v1/catalog/apply", new
        {
            plans = new[] { new { code = $"neg_{Guid.NewGuid():N}"[..20], name = "Negative", prices = new[] { new { interval = "month", currency = "USD", amount = 1000, minimum_amount = -1 } } } },
        });
        applied.Status.ShouldBe(HttpStatusCode.BadRequest);
        applied.Body!["errors"]!.AsObject().Select(e => e.Key).ShouldContain(k => k.EndsWith("minimum_amount", StringComparison.Ordinal));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class CommitmentsOnSqlite(SqliteServer server) : CommitmentTests(server);

[Collection(PostgresCollection.Name)]
public sealed class CommitmentsOnPostgres(PostgresServer server) : CommitmentTests(server);
