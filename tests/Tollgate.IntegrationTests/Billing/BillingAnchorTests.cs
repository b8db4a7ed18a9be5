using System.Text.Json.Nodes;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Billing;

/// <summary>A billing anchor ahead: a first, shorter period up to it billed prorated, then whole periods from it.</summary>
public abstract class BillingAnchorTests(TollgateServer server)
{
    static DateTimeOffset At(int month, int day) => new(2027, month, day, 0, 0, 0, TimeSpan.Zero);

    static IEnumerable<(string, long)> Lines(JsonNode invoice) => invoice["lines"]!.AsArray().Select(l => (l!["kind"]!.GetValue<string>(), l["amount"]!.GetValue<long>()));

    async Task<(string Basic, string Pro, string Customer, string Clock)> SetUpAsync()
    {
        var (basic, pro) = ($"anc_b_{Guid.NewGuid():N}"[..20], $"anc_p_{Guid.NewGuid():N}"[..20]);
        foreach (var (code, amount) in new[] { (basic, 1000L), (pro, 2000L) })
        {
            (await server.TestAdmin.PostAsync("/api/v1/plans", new { code, name = code, version = new { prices = new[] { new { interval = "month", currency = "USD", amount } } }, publish = true }))
                .Status.ShouldBe(HttpStatusCode.Created);
        }

        var clock = (await server.TestAdmin.PostAsync("/api/v1/test-clocks", new { frozen_time = At(4, 16) })).Id;
        var customer = (await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "Anchored", test_clock_id = clock })).Id;
        return (basic, pro, customer, clock);
    }

    [Fact]
    public async Task Anchored_on_the_first_the_rest_of_april_is_half_a_month_and_may_is_whole()
    {
        var (basic, pro, customer, clock) = await SetUpAsync();

        var created = await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan = basic, billing_anchor = At(5, 1) });

        created.Status.ShouldBe(HttpStatusCode.Created, created.Body?.ToJsonString());
        (created.Body!["current_period_start"]!.GetValue<DateTimeOffset>(), created.Body["current_period_end"]!.GetValue<DateTimeOffset>()).ShouldBe((At(4, 16), At(5, 1)));
        var first = (await server.TestAdmin.GetAsync($"/api/v1/invoices?subscription_id={created.Id}")).Data.Single()!;
        Lines(first).ShouldBe([("subscription", 500L)]); // 15 of April's 30 days of $10

        // Upgraded with 10 of those 30 days left: a third of each price.
        (await server.TestAdmin.PostAsync($"/api/v1/test-clocks/{clock}/advance", new { frozen_time = At(4, 21) })).Status.ShouldBe(HttpStatusCode.OK);
        var change = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{created.Id}/change", new { plan = pro, proration = "invoice_now" });
        Lines(change.Body!["invoice"]!).ShouldBe([("proration", -333L), ("proration", 667L)]);

        (await server.TestAdmin.PostAsync($"/api/v1/test-clocks/{clock}/advance", new { frozen_time = At(5, 2) })).Status.ShouldBe(HttpStatusCode.OK);
        var renewal = (await server.TestAdmin.GetAsync($"/api/v1/invoices?subscription_id={created.Id}")).Data.Single(i => i!["billing_reason"]!.GetValue<string>() == "subscription_cycle")!;
        Lines(renewal).ShouldBe([("subscription", 2000L)]);
        (renewal["period_start"]!.GetValue<DateTimeOffset>(), renewal["period_end"]!.GetValue<DateTimeOffset>()).ShouldBe((At(5, 1), At(6, 1)));
    }

    [Fact]
    public async Task An_anchor_in_the_past_more_than_a_period_ahead_or_with_a_trial_is_refused()
    {
        var (basic, _, customer, _) = await SetUpAsync();
        foreach (var body in new object[]
        {
            new { customer_id = customer, plan = basic, billing_anchor = At(4, 15) },
            new { customer_id = customer, plan = basic, billing_anchor = At(5, 17) },
        })
        {
            var refused = await server.TestAdmin.PostAsync("/api/v1/subscriptions", body);
            refused.FieldErrors.ShouldBe(["billing_anchor"]);
        }

        (await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan = basic, billing_anchor = At(5, 1), trial_days = 7 })).FieldErrors.ShouldBe(["billing_anchor"]);
        (await server.TestAdmin.GetAsync($"/api/v1/subscriptions?customer_id={customer}")).Data.ShouldBeEmpty();
    }
}

[Collection(SqliteCollection.Name)]
public sealed class BillingAnchorsOnSqlite(SqliteServer server) : BillingAnchorTests(server);

[Collection(PostgresCollection.Name)]
public sealed class BillingAnchorsOnPostgres(PostgresServer server) : BillingAnchorTests(server);
