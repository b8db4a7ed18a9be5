using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Billing;

public abstract class DunningTests(TollgateServer server)
{
    async Task<(string Customer, string Plan, string Subscription, string Invoice)> SubscribedAsync()
    {
        var plan = $"d_{Guid.NewGuid():N}"[..20];
        await server.Admin.PostAsync("/api/v1/plans", new { code = plan, name = "Dunned", version = new { prices = new[] { new { interval = "month", currency = "USD", amount = 2900 } } }, publish = true });
        var customer = (await server.Admin.PostAsync("/api/v1/customers", new { name = "Card declined" })).Body!["id"]!.GetValue<string>();
        var subscription = (await server.Admin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan })).Body!["id"]!.GetValue<string>();
        var invoice = (await server.Admin.GetAsync($"/api/v1/invoices?subscription_id={subscription}")).Body!["data"]![0]!["id"]!.GetValue<string>();
        return (customer, plan, subscription, invoice);
    }

    async Task<string> StatusAsync(string subscription) =>
        (await server.Admin.GetAsync($"/api/v1/subscriptions/{subscription}")).Body!["status"]!.GetValue<string>();

    async Task DaysAsync(int days)
    {
        server.Clock.Advance(TimeSpan.FromDays(days));
        (await server.Admin.PostAsync("/api/v1/invoice-runs")).Status.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_failed_payment_makes_the_subscription_past_due_with_access_and_a_payment_makes_it_active_again()
    {
        var (customer, plan, subscription, invoice) = await SubscribedAsync();

        var failed = await server.Admin.PostAsync($"/api/v1/invoices/{invoice}/payment-failed");
        (failed.Body!["payment_attempts"]!.GetValue<int>(), await StatusAsync(subscription)).ShouldBe((1, "past_due"));
        (await server.Admin.GetAsync($"/api/v1/customers/{customer}")).Body!["plan"]!.GetValue<string>().ShouldBe(plan); // access goes on
        await DaysAsync(3); // the first retry: still unpaid

        (await server.Admin.PostAsync($"/api/v1/invoices/{invoice}/pay")).Body!["status"]!.GetValue<string>().ShouldBe("paid");

        (await StatusAsync(subscription)).ShouldBe("active");
        (await server.Admin.GetAsync($"/api/v1/invoices/{invoice}")).Body!["next_payment_attempt"].ShouldBeNull();
    }

    [Fact]
    public async Task After_the_retries_3_5_and_7_days_apart_dunning_gives_up_cancels_and_ends_access()
    {
        var (customer, _, subscription, invoice) = await SubscribedAsync();
        await server.Admin.PostAsync($"/api/v1/invoices/{invoice}/payment-failed");

        await DaysAsync(3);
        (await server.Admin.GetAsync($"/api/v1/invoices/{invoice}")).Body!["payment_attempts"]!.GetValue<int>().ShouldBe(2);
        await DaysAsync(5);
        await DaysAsync(6);
        (await StatusAsync(subscription)).ShouldBe("past_due"); // a day before the last retry
        await DaysAsync(1); // the last retry, and no grace by default
        await DaysAsync(0);

        (await StatusAsync(subscription)).ShouldBe("canceled");
        var dunned = (await server.Admin.GetAsync($"/api/v1/invoices/{invoice}")).Body!;
        dunned["status"]!.GetValue<string>().ShouldBe("uncollectible");
        (await server.Admin.GetAsync($"/api/v1/customers/{customer}")).Body!["plan"].ShouldBeNull();
        (await server.Admin.GetAsync($"/api/v1/subscriptions/{subscription}")).Body!["cancel_reason"]!.GetValue<string>().ShouldBe("payment_failed");
    }

    [Fact]
    public async Task When_dunning_gives_up_the_customer_falls_back_to_the_free_plan_and_is_not_billed_for_it()
    {
        // Billing:FallbackPlan is fallback_free on the test servers: the plan exists only during this test.
        var created = await server.Admin.PostAsync("/api/v1/plans", new { code = "fallback_free", name = "Free", version = new { prices = Array.Empty<object>() }, publish = true });
        created.Status.ShouldBe(HttpStatusCode.Created, created.Body?.ToJsonString());
        try
        {
            var (customer, _, subscription, invoice) = await SubscribedAsync();
            await server.Admin.PostAsync($"/api/v1/invoices/{invoice}/payment-failed");
            foreach (var days in new[] { 3, 5, 7, 0 }) await DaysAsync(days);

            (await StatusAsync(subscription)).ShouldBe("canceled");
            (await server.Admin.GetAsync($"/api/v1/customers/{customer}")).Str("plan").ShouldBe("fallback_free");
            var all = (await server.Admin.GetAsync($"/api/v1/subscriptions?customer_id={customer}")).Data;
            var fallback = all.Single(s => s!["id"]!.GetValue<string>() != subscription)!;
            (fallback["plan"]!.GetValue<string>(), fallback["status"]!.GetValue<string>(), fallback["unit_amount"]!.GetValue<long>()).ShouldBe(("fallback_free", "active", 0L));
            (await server.Admin.GetAsync($"/api/v1/invoices?subscription_id={fallback["id"]!.GetValue<string>()}")).Data.ShouldBeEmpty();
        }
        finally
        {
            (await server.Admin.PostAsync("/api/v1/plans/fallback_free/archive")).Status.ShouldBe(HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task Only_an_open_invoice_can_fail_or_be_paid()
    {
        var (_, _, _, invoice) = await SubscribedAsync();
        await server.Admin.PostAsync($"/api/v1/invoices/{invoice}/pay");

        (await server.Admin.PostAsync($"/api/v1/invoices/{invoice}/payment-failed")).Code.ShouldBe("invoice_state");
        (await server.Admin.PostAsync($"/api/v1/invoices/{invoice}/pay")).Code.ShouldBe("invoice_state");
        (await server.Admin.PostAsync("/api/v1/invoices/inv_nothing/pay")).Status.ShouldBe(HttpStatusCode.NotFound);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class DunningOnSqlite(SqliteServer server) : DunningTests(server);

[Collection(PostgresCollection.Name)]
public sealed class DunningOnPostgres(PostgresServer server) : DunningTests(server);
