using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Billing;

/// <summary><c>payment_behavior: default_incomplete</c>: no access until the first invoice is paid, and ended with it after 23 hours unpaid.</summary>
public abstract class IncompleteTests(TollgateServer server)
{
    static readonly DateTimeOffset Start = new(2027, 3, 1, 9, 0, 0, TimeSpan.Zero);

    async Task<(string Clock, string Customer, string Plan)> SetUpAsync(long price)
    {
        var plan = $"inc_{Guid.NewGuid():N}"[..20];
        var prices = price > 0 ? new[] { new { interval = "month", currency = "USD", amount = price } } : [];
        (await server.TestAdmin.PostAsync("/api/v1/plans", new { code = plan, name = "Pro", version = new { prices }, publish = true })).Status.ShouldBe(HttpStatusCode.Created);
        var clock = (await server.TestAdmin.PostAsync("/api/v1/test-clocks", new { frozen_time = Start })).Id;
        var customer = (await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "Checkout", test_clock_id = clock })).Id;
        return (clock, customer, plan);
    }

    async Task<string?> PlanOfAsync(string customer) => (await server.TestAdmin.GetAsync($"/api/v1/customers/{customer}")).Body!["plan"]?.GetValue<string>();

    [Fact]
    public async Task An_incomplete_subscription_gives_no_access_until_its_first_invoice_is_paid()
    {
        var (_, customer, plan) = await SetUpAsync(2900);

        var created = await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan, payment_behavior = "default_incomplete" });

        created.Status.ShouldBe(HttpStatusCode.Created, created.Body?.ToJsonString());
        created.Str("status").ShouldBe("incomplete");
        (await PlanOfAsync(customer)).ShouldBeNull();
        var invoice = (await server.TestAdmin.GetAsync($"/api/v1/invoices?subscription_id={created.Id}")).Data.Single()!;
        (invoice["status"]!.GetValue<string>(), invoice["amount_due"]!.GetValue<long>()).ShouldBe(("open", 2900L));
        (await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{created.Id}/change", new { quantity = 2 })).Code.ShouldBe("subscription_state");

        (await server.TestAdmin.PostAsync($"/api/v1/invoices/{invoice["id"]!.GetValue<string>()}/pay")).Status.ShouldBe(HttpStatusCode.OK);

        (await server.TestAdmin.GetAsync($"/api/v1/subscriptions/{created.Id}")).Str("status").ShouldBe("active");
        (await PlanOfAsync(customer)).ShouldBe(plan);
    }

    [Fact]
    public async Task Unpaid_for_23_hours_it_ends_and_its_invoice_is_voided()
    {
        var (clock, customer, plan) = await SetUpAsync(2900);
        var created = await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan, payment_behavior = "default_incomplete" });

        (await server.TestAdmin.PostAsync($"/api/v1/test-clocks/{clock}/advance", new { frozen_time = Start.AddHours(22) })).Status.ShouldBe(HttpStatusCode.OK);
        (await server.TestAdmin.GetAsync($"/api/v1/subscriptions/{created.Id}")).Str("status").ShouldBe("incomplete");
        (await server.TestAdmin.PostAsync($"/api/v1/test-clocks/{clock}/advance", new { frozen_time = Start.AddDays(2) })).Status.ShouldBe(HttpStatusCode.OK);

        var ended = await server.TestAdmin.GetAsync($"/api/v1/subscriptions/{created.Id}");
        (ended.Str("status"), ended.Str("cancel_reason")).ShouldBe(("canceled", "incomplete_expired"));
        ended.Body!["ended_at"]!.GetValue<DateTimeOffset>().ShouldBe(Start.AddHours(23));
        (await server.TestAdmin.GetAsync($"/api/v1/invoices?subscription_id={created.Id}")).Data.Single()!["status"]!.GetValue<string>().ShouldBe("void");
        (await PlanOfAsync(customer)).ShouldBeNull();
    }

    [Fact]
    public async Task With_nothing_to_pay_it_is_active_at_once()
    {
        var (_, customer, plan) = await SetUpAsync(0);
        var created = await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan, payment_behavior = "default_incomplete" });
        created.Str("status").ShouldBe("active");
        (await PlanOfAsync(customer)).ShouldBe(plan);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class IncompleteOnSqlite(SqliteServer server) : IncompleteTests(server);

[Collection(PostgresCollection.Name)]
public sealed class IncompleteOnPostgres(PostgresServer server) : IncompleteTests(server);
