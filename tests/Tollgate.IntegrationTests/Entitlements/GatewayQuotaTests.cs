using Tollgate.IntegrationTests.Gateway;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Entitlements;

/// <summary>Hard quotas over metrics that do not add up, in the gateway: checked before each request, as they cannot be reserved.</summary>
public abstract class GatewayQuotaTests(TollgateServer server)
{
    async Task<(GatewayCustomer Customer, string Feature)> CustomerUnderAsync(string aggregation, string field, long limit)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (metric, feature, plan) = ($"m_{suffix}", $"q_{suffix}", $"p_{suffix}");
        var document = new
        {
            metrics = new[] { new { code = metric, name = "Gateway " + aggregation, @event = "gateway", aggregation, field } },
            features = new[] { new { code = feature, name = "A quota", type = "quota", metric, reset_period = "month" } },
            plans = new[] { new { code = plan, name = "Quota plan", entitlements = new[] { new { feature, limit, enforcement = "hard" } } } },
        };
        (await server.Admin.PostAsync("/api/v1/catalog/apply", document)).Status.ShouldBe(HttpStatusCode.OK);
        return (await server.CustomerAsync(plan), feature);
    }

    async Task<(HttpStatusCode Status, string? Code)> ChatAsync(GatewayCustomer customer, string? user, int maxTokens = 20)
    {
        var response = await server.Client(customer.Key).PostAsync("/v1/chat/completions", new
        {
            model = "gpt-test", max_tokens = maxTokens, user, messages = new[] { new { role = "user", content = "Hi" } },
        });
        if (response.Status == HttpStatusCode.OK) await server.UsageAsync(response.Raw.Headers.GetValues("x-request-id").Single());
        return (response.Status, response.Body?["error"]?["code"]?.GetValue<string>());
    }

    [Fact]
    public async Task A_unique_count_admits_the_users_it_counted_already_and_refuses_a_new_one_past_the_limit()
    {
        var (customer, feature) = await CustomerUnderAsync("unique_count", "end_user", limit: 2);

        (await ChatAsync(customer, "ana")).Status.ShouldBe(HttpStatusCode.OK);
        (await ChatAsync(customer, "ben")).Status.ShouldBe(HttpStatusCode.OK);
        (await ChatAsync(customer, "cho")).ShouldBe((HttpStatusCode.TooManyRequests, "quota_exceeded"));
        (await ChatAsync(customer, "ana")).Status.ShouldBe(HttpStatusCode.OK);
        (await ChatAsync(customer, null)).Status.ShouldBe(HttpStatusCode.OK); // no end user: nothing to count

        var check = await server.Admin.PostAsync("/api/v1/entitlements/check", new { customer_id = customer.Id, feature });
        check.Body!["used"]!.GetValue<decimal>().ShouldBe(2m);
    }

    [Fact]
    public async Task A_max_quota_caps_each_request_by_its_worst_case()
    {
        var (customer, _) = await CustomerUnderAsync("max", "output_tokens", limit: 100);

        (await ChatAsync(customer, null, maxTokens: 100)).Status.ShouldBe(HttpStatusCode.OK);
        (await ChatAsync(customer, null, maxTokens: 101)).ShouldBe((HttpStatusCode.TooManyRequests, "quota_exceeded"));
        (await ChatAsync(customer, null, maxTokens: 50)).Status.ShouldBe(HttpStatusCode.OK); // a cap per request, not a total
    }

    [Fact]
    public async Task A_latest_quota_refuses_once_the_latest_value_leaves_no_room()
    {
        // Each answer of the fake upstream has 45 output tokens: after one, the latest value is 45.
        var (roomy, _) = await CustomerUnderAsync("latest", "output_tokens", limit: FakeUpstream.CompletionTokens + 1);
        var (tight, _) = await CustomerUnderAsync("latest", "output_tokens", limit: FakeUpstream.CompletionTokens);

        (await ChatAsync(roomy, null)).Status.ShouldBe(HttpStatusCode.OK);
        (await ChatAsync(roomy, null)).Status.ShouldBe(HttpStatusCode.OK);
        (await ChatAsync(tight, null)).Status.ShouldBe(HttpStatusCode.OK);
        (await ChatAsync(tight, null)).ShouldBe((HttpStatusCode.TooManyRequests, "quota_exceeded"));
    }

    [Fact]
    public async Task A_quota_total_is_read_once_and_then_kept_in_step_with_the_usage_this_node_stores()
    {
        var (customer, feature) = await CustomerUnderAsync("sum", "total_tokens", limit: 1_000_000);
        async Task<decimal> UsedAsync() =>
            (await server.Admin.PostAsync("/api/v1/entitlements/check", new { customer_id = customer.Id, feature })).Body!["used"]!.GetValue<decimal>();

        (await UsedAsync()).ShouldBe(0m); // read from the database, and kept
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            (await ChatAsync(customer, null)).Status.ShouldBe(HttpStatusCode.OK);
            ids.Add((await server.LastUsageAsync(customer.Id)).Id);
        }

        var perRequest = (await server.UsageAsync(ids[0])).InputTokens + FakeUpstream.CompletionTokens;
        (await UsedAsync()).ShouldBe(3m * perRequest); // each stored batch added to the kept total, exactly

        // Changed behind Tollgate's back, the database now says more; the kept total is not read again after the
        // next batch (before, every batch dropped it, and the threshold monitor read the whole period back each
        // second). A catalog change, or another node's usage, would drop it.
        await using (var connection = await server.Get<Tollgate.Storage.Database>().OpenAsync())
        {
            await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE usage_records SET input_tokens = input_tokens + 1000 WHERE id = @id", new { id = ids[0] });
        }

        (await ChatAsync(customer, null)).Status.ShouldBe(HttpStatusCode.OK);
        (await UsedAsync()).ShouldBe(4m * perRequest);

        server.Get<Tollgate.Common.ChangeFeed>().Receive(Tollgate.Common.ChangeKind.Usage, customer.Id);
        (await UsedAsync()).ShouldBe(4m * perRequest + 1000);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class GatewayQuotasOnSqlite(SqliteServer server) : GatewayQuotaTests(server);

[Collection(PostgresCollection.Name)]
public sealed class GatewayQuotasOnPostgres(PostgresServer server) : GatewayQuotaTests(server);
