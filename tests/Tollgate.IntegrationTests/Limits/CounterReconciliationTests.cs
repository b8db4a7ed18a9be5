using Dapper;
using Tollgate.Gateway.Reservations;
using Tollgate.IntegrationTests.Gateway;
using Tollgate.IntegrationTests.Infrastructure;
using Tollgate.Storage;

namespace Tollgate.IntegrationTests.Limits;

/// <summary>The counters of hard limits and quotas against the usage records, their truth, on the fake clock.</summary>
public abstract class CounterReconciliationTests(TollgateServer server)
{
    async Task<(GatewayCustomer Customer, string LimitId, string Feature)> LimitedCustomerAsync()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (metric, feature, plan) = ($"m_{suffix}", $"q_{suffix}", $"p_{suffix}");
        (await server.Admin.PostAsync("/api/v1/catalog/apply", new
        {
            metrics = new[] { new { code = metric, name = "Tokens", @event = "gateway", aggregation = "sum", field = "total_tokens" } },
            features = new[] { new { code = feature, name = "Tokens a month", type = "quota", metric, reset_period = "month" } },
            plans = new[] { new { code = plan, name = "Capped", entitlements = new[] { new { feature, limit = 1_000_000, enforcement = "hard" } } } },
        })).Status.ShouldBe(HttpStatusCode.OK);
        var customer = await server.CustomerAsync(plan);
        var limit = await server.Admin.PostAsync("/api/v1/limits", new { scope = "customer", target = customer.Id, measure = "tokens", amount = 1_000_000, window = "day" });
        limit.Status.ShouldBe(HttpStatusCode.Created);
        return (customer, limit.Id, feature);
    }

    async Task<long> RecordedTokensAsync(string customerId)
    {
        await using var connection = await server.Get<Database>().OpenAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT SUM(input_tokens + output_tokens) FROM usage_records WHERE customer_id = @customerId", new { customerId });
    }

    async Task SetCounterAsync(string subject, string counter, long allocated, DateTimeOffset updatedAt)
    {
        await using var connection = await server.Get<Database>().OpenAsync();
        (await connection.ExecuteAsync("UPDATE counters SET allocated = @allocated, updated_at = @updatedAt WHERE subject = @subject AND counter = @counter",
            new { subject, counter, allocated, updatedAt })).ShouldBe(1);
    }

    IEnumerable<CounterLine> Of(IReadOnlyList<CounterLine> lines, string customerId) =>
        lines.Where(l => l.Subject == customerId || l.Subject == $"customer:{customerId}");

    [Fact]
    public async Task A_counter_left_behind_its_records_by_a_dead_node_is_raised_to_them_once_quiet()
    {
        var (customer, limitId, feature) = await LimitedCustomerAsync();
        for (var i = 0; i < 2; i++)
        {
            var answer = await server.Client(customer.Key).PostAsync("/v1/chat/completions", new { model = "gpt-test", max_tokens = 50, messages = new[] { new { role = "user", content = "Hi" } } });
            answer.Status.ShouldBe(HttpStatusCode.OK);
            await server.UsageAsync(answer.Raw.Headers.GetValues("x-request-id").Single());
        }

        var recorded = await RecordedTokensAsync(customer.Id);
        var reconciler = server.Get<CounterReconciler>();
        var lines = Of(await reconciler.CheckAsync(repairable: false, CancellationToken.None), customer.Id).ToList();
        lines.Select(l => l.Counter).Order(StringComparer.Ordinal).ShouldBe(new[] { limitId, feature }.Order(StringComparer.Ordinal));
        lines.ShouldAllBe(l => l.Status == CounterLine.Covered && l.Recorded == recorded && l.Allocated >= recorded); // leases held ahead

        // With this node's leases handed back, the counters hold exactly what the records hold.
        await server.Get<Tollgate.Counters.CounterLedger>().ReturnIdleAsync(all: true, CancellationToken.None);
        Of(await reconciler.CheckAsync(repairable: false, CancellationToken.None), customer.Id).ShouldAllBe(l => l.Allocated == recorded);

        // As if a node had served these requests beyond what it leased and died before charging the excess.
        var now = server.Clock.GetUtcNow();
        await SetCounterAsync($"customer:{customer.Id}", limitId, 10, now - CounterReconciler.Quiet - TimeSpan.FromSeconds(1));
        await SetCounterAsync(customer.Id, feature, 10, now); // moved just now: a live node may still owe it
        var behind = Of(await reconciler.CheckAsync(repairable: false, CancellationToken.None), customer.Id).ToList();
        behind.ShouldAllBe(l => l.Status == CounterLine.Behind && l.Allocated == 10);
        var listed = (await server.Admin.GetAsync("/api/v1/gateway/counters")).Data.Single(c => c!["counter"]!.GetValue<string>() == limitId)!;
        (listed["status"]!.GetValue<string>(), listed["allocated"]!.GetValue<long>(), listed["recorded"]!.GetValue<long>()).ShouldBe(("behind", 10L, recorded));

        (await reconciler.RepairAsync(CancellationToken.None)).ShouldBeGreaterThanOrEqualTo(1);
        var after = Of(await reconciler.CheckAsync(repairable: false, CancellationToken.None), customer.Id).ToDictionary(l => l.Counter);
        after[limitId].Allocated.ShouldBe(recorded);
        after[limitId].Status.ShouldBe(CounterLine.Covered);
        after[feature].Allocated.ShouldBe(10); // not quiet yet: left for a later pass

        server.Clock.Advance(CounterReconciler.Quiet + TimeSpan.FromSeconds(1));
        await reconciler.RepairAsync(CancellationToken.None);
        Of(await reconciler.CheckAsync(repairable: false, CancellationToken.None), customer.Id).ShouldAllBe(l => l.Allocated == recorded);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class CounterReconciliationOnSqlite(SqliteServer server) : CounterReconciliationTests(server);

[Collection(PostgresCollection.Name)]
public sealed class CounterReconciliationOnPostgres(PostgresServer server) : CounterReconciliationTests(server);
