using Tollgate.Alerts;
using Tollgate.Gateway.Usage;
using Tollgate.IntegrationTests.Gateway;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Alerts;

/// <summary>Threshold alerts of quotas and budgets: raised from stored usage, once per period, into the outbox.</summary>
public abstract class AlertTests(TollgateServer server)
{
    async Task<int> LookAsync()
    {
        await server.Get<UsageDrain>().FlushAsync();
        return await server.Get<ThresholdMonitor>().EvaluateAsync(CancellationToken.None);
    }

    async Task SendAsync(string customerId, string code, int count)
    {
        var events = Enumerable.Range(0, count).Select(_ => new { id = Guid.NewGuid().ToString("N"), code, customer_id = customerId }).ToArray();
        (await server.Admin.PostAsync("/api/v1/events/batch", new { events })).Body!["accepted"]!.GetValue<int>().ShouldBe(count);
    }

    async Task<List<(string Type, int Threshold)>> AlertsAsync(string customerId, string key)
    {
        var listed = await server.Client(key).GetAsync("/api/v1/alerts");
        listed.Status.ShouldBe(HttpStatusCode.OK);
        listed.Data.ShouldAllBe(a => a!["customer_id"]!.GetValue<string>() == customerId);
        return [.. listed.Data.Select(a => (a!["type"]!.GetValue<string>(), a["data"]!["threshold"]!.GetValue<int>())).Reverse()];
    }

    [Fact]
    public async Task A_quota_raises_50_80_and_100_percent_once_each_per_period()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (metric, feature, plan) = ($"docs_{suffix}", $"daily_docs_{suffix}", $"docs_plan_{suffix}");
        var document = new
        {
            metrics = new[] { new { code = metric, name = "Documents", @event = metric, aggregation = "count" } },
            features = new[] { new { code = feature, name = "Documents a day", type = "quota", metric, reset_period = "day" } },
            plans = new[] { new { code = plan, name = "Docs", entitlements = new[] { new { feature, limit = 10, enforcement = "soft" } } } },
        };
        (await server.Admin.PostAsync("/api/v1/catalog/apply", document)).Status.ShouldBe(HttpStatusCode.OK);
        var customer = await server.CustomerAsync(plan);

        await SendAsync(customer.Id, metric, 4);
        (await LookAsync()).ShouldBe(0);
        await SendAsync(customer.Id, metric, 1);
        (await LookAsync()).ShouldBe(1);
        await SendAsync(customer.Id, metric, 3);
        (await LookAsync()).ShouldBe(1); // 80 %; 50 % is not raised again
        (await NearLimitsAsync(customer.Id)).ShouldBe([(feature, 80)], "at 80 %: one to offer an upgrade");
        await SendAsync(customer.Id, metric, 1);
        (await LookAsync()).ShouldBe(0);
        await SendAsync(customer.Id, metric, 5); // past the soft limit: 100 % once
        (await LookAsync()).ShouldBe(1);
        (await AlertsAsync(customer.Id, customer.Key)).ShouldBe([("quota.threshold_reached", 50), ("quota.threshold_reached", 80), ("quota.threshold_reached", 100)]);
        (await NearLimitsAsync(customer.Id)).ShouldBe([(feature, 100)], "the highest threshold of the period");

        var alert = (await server.Admin.GetAsync($"/api/v1/alerts?customer_id={customer.Id}&limit=1")).Data.Single()!["data"]!;
        (alert["feature"]!.GetValue<string>(), alert["used"]!.GetValue<decimal>(), alert["limit"]!.GetValue<long>()).ShouldBe((feature, 14m, 10L));

        // The next day is a new period: its thresholds are raised again.
        server.Clock.Advance(TimeSpan.FromDays(1));
        await SendAsync(customer.Id, metric, 5);
        (await LookAsync()).ShouldBe(1);
        (await AlertsAsync(customer.Id, customer.Key)).Count.ShouldBe(4);
        (await NearLimitsAsync(customer.Id)).ShouldBeEmpty("yesterday's period is over, and today's is at 50 %");
    }

    async Task<List<(string Counter, int Threshold)>> NearLimitsAsync(string customerId) =>
        [.. (await server.Admin.GetAsync($"/api/v1/analytics/near-limits?customer_id={customerId}")).Data.Select(n => (n!["counter"]!.GetValue<string>(), n["threshold"]!.GetValue<int>()))];

    [Fact]
    public async Task A_budget_raises_its_own_thresholds_from_the_charges_recorded()
    {
        var customer = await server.CustomerAsync("free");
        var budget = await server.Admin.PostAsync("/api/v1/limits",
            new { scope = "customer", target = customer.Id, measure = "spend", amount_usd = 0.001m, window = "month", enforcement = "notify", thresholds = new[] { 50, 100 } });
        budget.Status.ShouldBe(HttpStatusCode.Created);

        var chat = new { model = "gpt-test", max_tokens = 50, messages = new[] { new { role = "user", content = "Hi" } } };
        for (var i = 0; i < 3; i++) (await server.Client(customer.Key).PostAsync("/v1/chat/completions", chat)).Status.ShouldBe(HttpStatusCode.OK);
        (await LookAsync()).ShouldBe(1);
        for (var i = 0; i < 3; i++) (await server.Client(customer.Key).PostAsync("/v1/chat/completions", chat)).Status.ShouldBe(HttpStatusCode.OK); // notify only: never refused
        (await LookAsync()).ShouldBe(1);
        (await LookAsync()).ShouldBe(0);

        var alerts = (await server.Admin.GetAsync($"/api/v1/alerts?customer_id={customer.Id}")).Data;
        alerts.Select(a => a!["type"]!.GetValue<string>()).ShouldBe(["budget.threshold_reached", "budget.threshold_reached"]);
        var last = alerts[0]!["data"]!;
        (last["limit_id"]!.GetValue<string>(), last["threshold"]!.GetValue<int>(), last["used_usd"]!.GetValue<decimal>()).ShouldBe((budget.Id, 100, 0.0012m));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class AlertsOnSqlite(SqliteServer server) : AlertTests(server);

[Collection(PostgresCollection.Name)]
public sealed class AlertsOnPostgres(PostgresServer server) : AlertTests(server);
