using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Billing;

/// <summary>Customers whose plan was set directly move onto subscriptions, and from then on their plan follows them.</summary>
public abstract class PlanMigrationTests(TollgateServer server)
{
    [Fact]
    public async Task A_customer_with_a_plan_set_directly_gets_a_subscription_to_it_and_its_plan_then_follows_subscriptions()
    {
        var plan = $"direct_{Guid.NewGuid():N}"[..20];
        (await server.Admin.PostAsync("/api/v1/plans", new { code = plan, name = "Direct", version = new { prices = new[] { new { interval = "month", currency = "USD", amount = 1900 } } }, publish = true }))
            .Status.ShouldBe(HttpStatusCode.Created);
        var usd = (await server.Admin.PostAsync("/api/v1/customers", new { name = "Old timer", plan, currency = "USD" })).Id;
        var inr = (await server.Admin.PostAsync("/api/v1/customers", new { name = "No INR price", plan, currency = "INR" })).Id;
        var request = new { customer_ids = new[] { usd, inr } };

        var dry = await server.Admin.PostAsync("/api/v1/subscriptions/migrate-plans", new { request.customer_ids, dry_run = true });
        dry.Status.ShouldBe(HttpStatusCode.OK, dry.Body?.ToJsonString());
        dry.Body!["migrated"]!.GetValue<int>().ShouldBe(1);
        (await server.Admin.GetAsync($"/api/v1/subscriptions?customer_id={usd}")).Data.ShouldBeEmpty();

        var done = await server.Admin.PostAsync("/api/v1/subscriptions/migrate-plans", request);

        done.Body!["migrated"]!.GetValue<int>().ShouldBe(1);
        done.Body["skipped"]!.AsArray().Select(s => (s!["customer_id"]!.GetValue<string>(), s["code"]!.GetValue<string>())).ShouldBe([(inr, "price_not_found")]);
        var subscription = (await server.Admin.GetAsync($"/api/v1/subscriptions?customer_id={usd}")).Data.Single()!;
        (subscription["plan"]!.GetValue<string>(), subscription["status"]!.GetValue<string>(), subscription["unit_amount"]!.GetValue<long>()).ShouldBe((plan, "active", 1900L));
        (await server.Admin.GetAsync($"/api/v1/invoices?customer_id={usd}")).Data.ShouldBeEmpty(); // the period was paid for before
        (await server.Admin.GetAsync($"/api/v1/customers/{usd}")).Str("plan").ShouldBe(plan);
        (await server.Admin.PatchAsync($"/api/v1/customers/{usd}", new { plan = "" })).Code.ShouldBe("plan_from_subscriptions");
        (await server.Admin.PostAsync("/api/v1/subscriptions/migrate-plans", request)).Body!["migrated"]!.GetValue<int>().ShouldBe(0);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class PlanMigrationOnSqlite(SqliteServer server) : PlanMigrationTests(server);

[Collection(PostgresCollection.Name)]
public sealed class PlanMigrationOnPostgres(PostgresServer server) : PlanMigrationTests(server);
