using System.Text.Json.Nodes;
using Tollgate.IntegrationTests.Gateway;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Entitlements;

/// <summary>Entitlement checks over HTTP on the answer-engine catalog, overrides, and hard quotas in the gateway under concurrency.</summary>
public abstract class EntitlementTests(TollgateServer server)
{
    Task<ApiResponse> CheckAsync(string customerId, string feature, long? quantity = null, long? current = null) =>
        server.Admin.PostAsync("/api/v1/entitlements/check", new { customer_id = customerId, feature, quantity, current });

    [Fact]
    public async Task Booleans_limits_and_quotas_say_allowed_or_not_and_why()
    {
        var free = await server.CustomerAsync("free");
        var pro = await server.CustomerAsync("pro");

        var premium = await CheckAsync(free.Id, "premium_models");
        premium.Body!["allowed"]!.GetValue<bool>().ShouldBeFalse();
        premium.Str("reason").ShouldBe("disabled");
        (await CheckAsync(pro.Id, "premium_models")).Str("reason").ShouldBe("enabled");

        // A 2nd member on a one-member plan is refused; the 1st is not.
        var second = await CheckAsync(free.Id, "team_members", current: 1);
        second.Body!["allowed"]!.GetValue<bool>().ShouldBeFalse();
        second.Str("reason").ShouldBe("limit_reached");
        second.Body!["limit"]!.GetValue<long>().ShouldBe(1);
        (await CheckAsync(free.Id, "team_members", current: 0)).Str("reason").ShouldBe("within_limit");

        var now = server.Clock.GetUtcNow();
        var events = Enumerable.Range(0, 3).Select(i => new { id = $"q{i}", code = "query", customer_id = free.Id, properties = new { kind = "basic" } })
            .Append(new { id = "img", code = "query", customer_id = free.Id, properties = new { kind = "image" } }).ToArray();
        (await server.Admin.PostAsync("/api/v1/events/batch", new { events })).Body!["accepted"]!.GetValue<int>().ShouldBe(4);
        var quota = await CheckAsync(free.Id, "monthly_queries");
        quota.Str("reason").ShouldBe("within_limit");
        quota.Body!["used"]!.GetValue<decimal>().ShouldBe(3); // the image is not a query of this metric
        quota.Body!["remaining"]!.GetValue<decimal>().ShouldBe(97);
        quota.Body!["resets_at"]!.GetValue<DateTimeOffset>().ShouldBe(new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1));
        (await CheckAsync(free.Id, "monthly_queries", quantity: 98)).Str("reason").ShouldBe("limit_reached");
        (await CheckAsync(free.Id, "monthly_queries", quantity: 97)).Str("reason").ShouldBe("within_limit");

        var all = await server.Client(free.Key).GetAsync($"/api/v1/customers/{free.Id}/entitlements");
        all.Status.ShouldBe(HttpStatusCode.OK);
        all.Body!.AsArray().Select(d => d!["feature"]!.GetValue<string>()).ShouldContain("monthly_queries");
        all.Body!.AsArray().Single(d => d!["feature"]!.GetValue<string>() == "sso")!["allowed"]!.GetValue<bool>().ShouldBeFalse();
    }

    [Fact]
    public async Task An_override_changes_the_limit_and_the_enforcement_for_one_customer_only()
    {
        var customer = await server.CustomerAsync("free");
        var neighbour = await server.CustomerAsync("free");
        var events = Enumerable.Range(0, 4).Select(i => new { id = $"o{i}", code = "query", customer_id = customer.Id, properties = new { kind = "function_call" } }).ToArray();
        await server.Admin.PostAsync("/api/v1/events/batch", new { events });

        var put = await server.Admin.PutAsync($"/api/v1/customers/{customer.Id}/entitlements/monthly_queries", new { limit = 4, note = "trial cap" });
        put.Status.ShouldBe(HttpStatusCode.OK);
        var hard = await CheckAsync(customer.Id, "monthly_queries");
        (hard.Str("reason"), hard.Str("source"), hard.Body!["allowed"]!.GetValue<bool>()).ShouldBe(("limit_reached", "override", false));
        (await CheckAsync(neighbour.Id, "monthly_queries")).Body!["limit"]!.GetValue<long>().ShouldBe(100);

        await server.Admin.PutAsync($"/api/v1/customers/{customer.Id}/entitlements/monthly_queries", new { limit = 4, enforcement = "soft" });
        var soft = await CheckAsync(customer.Id, "monthly_queries");
        (soft.Str("reason"), soft.Body!["allowed"]!.GetValue<bool>()).ShouldBe(("over_limit_billed", true));
        await server.Admin.PutAsync($"/api/v1/customers/{customer.Id}/entitlements/monthly_queries", new { limit = 4, enforcement = "notify" });
        (await CheckAsync(customer.Id, "monthly_queries")).Str("reason").ShouldBe("over_limit_notified");
        await server.Admin.PutAsync($"/api/v1/customers/{customer.Id}/entitlements/premium_models", new { enabled = true });
        (await CheckAsync(customer.Id, "premium_models")).Str("reason").ShouldBe("enabled");

        (await server.Admin.DeleteAsync($"/api/v1/customers/{customer.Id}/entitlements/monthly_queries")).Status.ShouldBe(HttpStatusCode.OK);
        var back = await CheckAsync(customer.Id, "monthly_queries");
        (back.Str("reason"), back.Str("source"), back.Body!["limit"]!.GetValue<long>()).ShouldBe(("within_limit", "plan", 100L));

        // Audited, and refused when malformed.
        var audit = await server.Admin.GetAsync($"/api/v1/audit-log?customer_id={customer.Id}&limit=100");
        audit.Data.Select(e => e!["action"]!.GetValue<string>()).ShouldContain("entitlement.overridden");
        (await server.Admin.PutAsync($"/api/v1/customers/{customer.Id}/entitlements/premium_models", new { limit = 3 })).Code.ShouldBe("validation_failed");
        (await server.Admin.PutAsync($"/api/v1/customers/{customer.Id}/entitlements/monthly_queries", new { limit = 3, unlimited = true })).Code.ShouldBe("validation_failed");
        (await server.Admin.PutAsync($"/api/v1/customers/{customer.Id}/entitlements/no_such_feature", new { enabled = true })).Status.ShouldBe(HttpStatusCode.NotFound);
        (await server.Client(customer.Key).PutAsync($"/api/v1/customers/{customer.Id}/entitlements/sso", new { enabled = true })).Status.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_quota_check_sees_usage_stored_since_the_last_check()
    {
        var customer = await server.CustomerAsync("free");
        (await CheckAsync(customer.Id, "monthly_queries")).Body!["used"]!.GetValue<decimal>().ShouldBe(0);
        await server.Admin.PostAsync("/api/v1/events", new { id = "after-check", code = "query", customer_id = customer.Id, properties = new { kind = "basic" } });
        (await CheckAsync(customer.Id, "monthly_queries")).Body!["used"]!.GetValue<decimal>().ShouldBe(1);
        await server.Admin.PostAsync("/api/v1/events", new { id = "after-check", code = "query", customer_id = customer.Id, properties = new { kind = "basic" } });
        (await CheckAsync(customer.Id, "monthly_queries")).Body!["used"]!.GetValue<decimal>().ShouldBe(1); // a retry counts once
    }

    [Fact]
    public async Task Bad_checks_get_stable_codes_and_customer_keys_check_their_own_customer()
    {
        var customer = await server.CustomerAsync("pro");
        var other = await server.CustomerAsync("pro");
        (await server.Admin.PostAsync("/api/v1/entitlements/check", new { customer_id = customer.Id })).Code.ShouldBe("validation_failed");
        (await server.Admin.PostAsync("/api/v1/entitlements/check", new { feature = "sso" })).Code.ShouldBe("validation_failed");
        (await CheckAsync(customer.Id, "no_such_feature")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await CheckAsync("cus_missing", "sso")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await CheckAsync(customer.Id, "monthly_queries", quantity: -1)).Code.ShouldBe("validation_failed");

        var own = await server.Client(customer.Key).PostAsync("/api/v1/entitlements/check", new { feature = "api_access" });
        own.Str("reason").ShouldBe("enabled");
        (await server.Client(customer.Key).PostAsync("/api/v1/entitlements/check", new { feature = "api_access", customer_id = other.Id })).Status.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_thousand_concurrent_gateway_requests_against_a_hard_quota_of_100_admit_exactly_100()
    {
        var (metric, feature, plan) = await server.CappedPlanAsync(100);
        var customer = await server.CustomerAsync(plan);

        using var http = new HttpClient();
        var body = JsonNode.Parse("""{"model":"gpt-test","max_tokens":50,"messages":[{"role":"user","content":"Hi"}]}""")!;
        var responses = await Task.WhenAll(Enumerable.Range(0, 1000).Select(async _ =>
        {
            using var response = await http.SendAsync(GatewayFixture.Post(server, "/v1/chat/completions", customer.Key, body));
            var text = await response.Content.ReadAsStringAsync();
            var error = response.IsSuccessStatusCode ? null : JsonNode.Parse(text)?["error"]?["code"]?.GetValue<string>() ?? text;
            var retry = response.Headers.TryGetValues("x-should-retry", out var values) ? values.Single() : null;
            return (response.StatusCode, error, retry, Id: response.Headers.TryGetValues("x-request-id", out var ids) ? ids.Single() : "");
        }));

        responses.Where(r => r.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.TooManyRequests)).Select(r => $"{r.StatusCode}: {r.error}").ShouldBeEmpty();
        responses.Count(r => r.StatusCode == HttpStatusCode.OK).ShouldBe(100);
        responses.Where(r => r.StatusCode != HttpStatusCode.OK).ShouldAllBe(r => r.StatusCode == HttpStatusCode.TooManyRequests && r.error == "quota_exceeded" && r.retry == "false");
        foreach (var ok in responses.Where(r => r.StatusCode == HttpStatusCode.OK)) await server.UsageAsync(ok.Id);

        // Billing sees exactly the 100 served; the refused ones used nothing.
        var usage = await server.Admin.GetAsync($"/api/v1/usage?metric={metric}&customer_id={customer.Id}");
        usage.Body!["total"]!.GetValue<decimal>().ShouldBe(100);
        var check = await CheckAsync(customer.Id, feature);
        (check.Str("reason"), check.Body!["used"]!.GetValue<decimal>()).ShouldBe(("limit_reached", 100m));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class EntitlementsOnSqlite(SqliteServer server) : EntitlementTests(server);

[Collection(PostgresCollection.Name)]
public sealed class EntitlementsOnPostgres(PostgresServer server) : EntitlementTests(server);

public abstract class CustomerAccessCacheTests(TollgateServer server)
{
    Tollgate.Entitlements.Access.CustomerAccessCache Cache(int max) =>
        new(server.Get<Tollgate.Storage.Database>(), server.Get<Tollgate.Entitlements.EntitlementLoader>(), server.Clock,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Tollgate.Entitlements.Access.CustomerAccessCache>.Instance, max);

    async Task<string[]> CustomersAsync(int count)
    {
        var ids = new string[count];
        for (var i = 0; i < count; i++) ids[i] = (await server.Admin.PostAsync("/api/v1/customers", new { name = $"Cached {i}" })).Id;
        return ids;
    }

    [Fact]
    public async Task Past_its_bound_the_cache_lets_idle_customers_go_and_never_grows_without_end()
    {
        var ids = await CustomersAsync(4);
        var cache = Cache(max: 2);
        await cache.GetAsync(ids[0], CancellationToken.None);
        await cache.GetAsync(ids[1], CancellationToken.None);

        server.Clock.Advance(Tollgate.Entitlements.Access.CustomerAccessCache.IdleAfter + TimeSpan.FromMinutes(1));
        await cache.GetAsync(ids[2], CancellationToken.None); // one over: the idle ones go

        cache.Count.ShouldBe(1);
        await cache.GetAsync(ids[0], CancellationToken.None);
        await cache.GetAsync(ids[3], CancellationToken.None); // none idle now: the one read longest ago goes
        cache.Count.ShouldBe(2);
        (await cache.GetAsync(ids[2], CancellationToken.None)).ShouldNotBeNull(); // read again on its next use
    }
}

[Collection(SqliteCollection.Name)]
public sealed class CustomerAccessCacheOnSqlite(SqliteServer server) : CustomerAccessCacheTests(server);

[Collection(PostgresCollection.Name)]
public sealed class CustomerAccessCacheOnPostgres(PostgresServer server) : CustomerAccessCacheTests(server);
