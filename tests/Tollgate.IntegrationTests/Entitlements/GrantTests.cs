using System.Text.Json.Nodes;
using Tollgate.IntegrationTests.Gateway;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Entitlements;

/// <summary>Grants and top-ups over HTTP: units beyond a quota's allowance, drawn after it, carried across periods until they expire.</summary>
public abstract class GrantTests(TollgateServer server)
{
    Task<ApiResponse> CheckAsync(string customerId, string feature, long? quantity = null) =>
        server.Admin.PostAsync("/api/v1/entitlements/check", new { customer_id = customerId, feature, quantity });

    Task<ApiResponse> GrantAsync(string customerId, object grant) => server.Admin.PostAsync($"/api/v1/customers/{customerId}/grants", grant);

    async Task QueriesAsync(string customerId, int count, DateTimeOffset? at = null)
    {
        var prefix = Guid.NewGuid().ToString("N")[..8];
        var events = Enumerable.Range(0, count).Select(i => new { id = $"{prefix}-{i}", code = "query", customer_id = customerId, timestamp = at, properties = new { kind = "basic" } }).ToArray();
        (await server.Admin.PostAsync("/api/v1/events/batch", new { events })).Body!["accepted"]!.GetValue<int>().ShouldBe(count);
    }

    static (long? Limit, long? Granted, decimal Used, decimal Remaining, bool Allowed) Read(ApiResponse check) => (
        check.Body!["limit"]?.GetValue<long>(), check.Body!["granted"]?.GetValue<long>(), check.Body!["used"]!.GetValue<decimal>(),
        check.Body!["remaining"]!.GetValue<decimal>(), check.Body!["allowed"]!.GetValue<bool>());

    [Fact]
    public async Task A_top_up_lets_a_customer_past_the_allowance_until_it_is_used_up_and_a_payment_tops_up_once()
    {
        var customer = await server.CustomerAsync("free");
        await QueriesAsync(customer.Id, 100);
        Read(await CheckAsync(customer.Id, "monthly_queries")).ShouldBe((100L, 0L, 100m, 0m, false));

        var topUp = await GrantAsync(customer.Id, new { feature = "monthly_queries", amount = 20, kind = "top_up", reference = "pay_123", expires_in_days = 365 });
        topUp.Status.ShouldBe(HttpStatusCode.Created);
        (topUp.Str("status"), topUp.Str("kind"), topUp.Body!["remaining"]!.GetValue<decimal>()).ShouldBe(("active", "top_up", 20m));
        var again = await GrantAsync(customer.Id, new { feature = "monthly_queries", amount = 20, kind = "top_up", reference = "pay_123", expires_in_days = 365 });
        (again.Status, again.Id).ShouldBe((HttpStatusCode.OK, topUp.Id));
        (await GrantAsync(customer.Id, new { feature = "monthly_queries", amount = 25, kind = "top_up", reference = "pay_123" })).Code.ShouldBe("grant_reference_used");
        Read(await CheckAsync(customer.Id, "monthly_queries")).ShouldBe((100L, 20L, 100m, 20m, true));

        server.Clock.Advance(TimeSpan.FromMinutes(1));
        await QueriesAsync(customer.Id, 15);
        Read(await CheckAsync(customer.Id, "monthly_queries", quantity: 5)).ShouldBe((100L, 20L, 115m, 5m, true));
        (await CheckAsync(customer.Id, "monthly_queries", quantity: 6)).Str("reason").ShouldBe("limit_reached");
        var listed = (await server.Client(customer.Key).GetAsync($"/api/v1/customers/{customer.Id}/grants")).Data.Single()!;
        (listed["used"]!.GetValue<decimal>(), listed["remaining"]!.GetValue<decimal>(), listed["status"]!.GetValue<string>()).ShouldBe((15m, 5m, "active"));

        // Voided a minute later, its last 5 are gone; the 15 it gave stay given.
        server.Clock.Advance(TimeSpan.FromMinutes(1));
        var voided = await server.Admin.DeleteAsync($"/api/v1/customers/{customer.Id}/grants/{topUp.Id}");
        (voided.Str("status"), voided.Body!["used"]!.GetValue<decimal>()).ShouldBe(("voided", 15m));
        Read(await CheckAsync(customer.Id, "monthly_queries")).ShouldBe((100L, 15L, 115m, 0m, false));

        var actions = (await server.Admin.GetAsync($"/api/v1/audit-log?customer_id={customer.Id}&limit=100")).Data.Select(e => e!["action"]!.GetValue<string>());
        actions.ShouldContain("grant.topped_up");
        actions.ShouldContain("grant.voided");
    }

    [Fact]
    public async Task A_balance_carries_into_the_next_period_and_grants_expire_on_time()
    {
        var customer = await server.CustomerAsync("free");
        var now = server.Clock.GetUtcNow();
        var periodStart = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);

        // Last month: 130 queries against an allowance of 100 drew 30 of a 50-unit grant.
        (await GrantAsync(customer.Id, new { feature = "monthly_queries", amount = 50, effective_at = periodStart.AddDays(-2) })).Status.ShouldBe(HttpStatusCode.Created);
        await QueriesAsync(customer.Id, 130, periodStart.AddHours(-12));
        Read(await CheckAsync(customer.Id, "monthly_queries")).ShouldBe((100L, 20L, 0m, 120m, true));

        var soon = await GrantAsync(customer.Id, new { feature = "monthly_queries", amount = 10, expires_at = now.AddHours(1), note = "sorry for the outage" });
        var later = await GrantAsync(customer.Id, new { feature = "monthly_queries", amount = 7, effective_at = now.AddDays(1) });
        later.Str("status").ShouldBe("scheduled");
        Read(await CheckAsync(customer.Id, "monthly_queries")).ShouldBe((100L, 30L, 0m, 130m, true));

        // 105 now: 5 beyond the allowance come from the grant ending first.
        await QueriesAsync(customer.Id, 105);
        var grants = (await server.Admin.GetAsync($"/api/v1/customers/{customer.Id}/grants")).Data.ToDictionary(g => g!["id"]!.GetValue<string>(), g => g!);
        grants[soon.Id]["remaining"]!.GetValue<decimal>().ShouldBe(5);

        server.Clock.Advance(TimeSpan.FromHours(2));
        grants = (await server.Admin.GetAsync($"/api/v1/customers/{customer.Id}/grants")).Data.ToDictionary(g => g!["id"]!.GetValue<string>(), g => g!);
        grants[soon.Id]["status"]!.GetValue<string>().ShouldBe("expired");
        // The expired grant's 5 given this period stay in the limit; its other 5 are gone.
        Read(await CheckAsync(customer.Id, "monthly_queries")).ShouldBe((100L, 25L, 105m, 20m, true));
    }

    [Fact]
    public async Task The_gateway_admits_a_hard_quota_and_its_top_up_exactly_and_says_so_in_its_headers()
    {
        var (_, feature, plan) = await server.CappedPlanAsync(10);
        var customer = await server.CustomerAsync(plan);
        (await GrantAsync(customer.Id, new { feature, amount = 5, kind = "top_up" })).Status.ShouldBe(HttpStatusCode.Created);

        using var http = new HttpClient();
        var body = JsonNode.Parse("""{"model":"gpt-test","max_tokens":20,"messages":[{"role":"user","content":"Hi"}]}""")!;
        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(async _ =>
        {
            using var response = await http.SendAsync(GatewayFixture.Post(server, "/v1/chat/completions", customer.Key, body));
            var limit = response.Headers.TryGetValues("x-tollgate-quota-limit", out var values) ? values.Single() : null;
            return (response.StatusCode, limit, Id: response.Headers.TryGetValues("x-request-id", out var ids) ? ids.Single() : "");
        }));

        responses.Count(r => r.StatusCode == HttpStatusCode.OK).ShouldBe(15);
        responses.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests).ShouldBe(25);
        responses.ShouldAllBe(r => r.limit == "15");
        foreach (var ok in responses.Where(r => r.StatusCode == HttpStatusCode.OK)) await server.UsageAsync(ok.Id);
        var grant = (await server.Admin.GetAsync($"/api/v1/customers/{customer.Id}/grants")).Data.Single()!;
        (grant["used"]!.GetValue<decimal>(), grant["status"]!.GetValue<string>()).ShouldBe((5m, "used_up"));
    }

    [Fact]
    public async Task A_grant_of_a_quota_the_plan_lacks_is_all_the_customer_has_of_it()
    {
        var (_, feature, _) = await server.CappedPlanAsync(10);
        var customer = await server.CustomerAsync("free");
        (await CheckAsync(customer.Id, feature)).Str("reason").ShouldBe("not_in_plan");
        await GrantAsync(customer.Id, new { feature, amount = 3 });
        var check = await CheckAsync(customer.Id, feature, quantity: 3);
        (check.Str("source"), check.Str("reason")).ShouldBe(("grant", "within_limit"));
        Read(check).ShouldBe((0L, 3L, 0m, 3m, true));
        (await CheckAsync(customer.Id, feature, quantity: 4)).Str("reason").ShouldBe("limit_reached");
    }

    [Fact]
    public async Task A_quota_only_grants_gave_stops_applying_in_the_gateway_when_they_end()
    {
        var (_, feature, _) = await server.CappedPlanAsync(10);
        var customer = await server.CustomerAsync("free");
        await GrantAsync(customer.Id, new { feature, amount = 1, expires_at = server.Clock.GetUtcNow().AddMinutes(5) });
        Task<ApiResponse> ChatAsync() => server.Client(customer.Key).PostAsync("/v1/chat/completions", new
        {
            model = "gpt-test", max_tokens = 20, messages = new[] { new { role = "user", content = "Hi" } },
        });

        var first = await ChatAsync();
        (first.Status, first.Raw.Headers.GetValues("x-tollgate-quota-limit").Single()).ShouldBe((HttpStatusCode.OK, "1"));
        var second = await ChatAsync();
        (second.Status, second.Body!["error"]!["code"]!.GetValue<string>()).ShouldBe((HttpStatusCode.TooManyRequests, "quota_exceeded"));

        server.Clock.Advance(TimeSpan.FromMinutes(10));
        var after = await ChatAsync();
        after.Status.ShouldBe(HttpStatusCode.OK);
        after.Raw.Headers.Contains("x-tollgate-quota-limit").ShouldBeFalse();
    }

    [Fact]
    public async Task Bad_grants_are_refused_with_stable_codes_and_customers_only_see_their_own()
    {
        var customer = await server.CustomerAsync("free");
        var other = await server.CustomerAsync("free");
        (await GrantAsync(customer.Id, new { feature = "sso", amount = 5 })).FieldErrors.ShouldBe(["feature"]);
        (await GrantAsync(customer.Id, new { feature = "monthly_queries", amount = 0, expires_in_days = 0 })).FieldErrors.ShouldBe(["amount", "expires_in_days"], ignoreOrder: true);
        var now = server.Clock.GetUtcNow();
        (await GrantAsync(customer.Id, new { feature = "monthly_queries", amount = 5, effective_at = now, expires_at = now })).FieldErrors.ShouldBe(["expires_at"]);
        (await GrantAsync("cus_missing", new { feature = "monthly_queries", amount = 5 })).Status.ShouldBe(HttpStatusCode.NotFound);
        (await server.Admin.DeleteAsync($"/api/v1/customers/{customer.Id}/grants/grnt_missing")).Status.ShouldBe(HttpStatusCode.NotFound);

        var own = await GrantAsync(customer.Id, new { feature = "monthly_queries", amount = 5 });
        (await server.Client(customer.Key).PostAsync($"/api/v1/customers/{customer.Id}/grants", new { feature = "monthly_queries", amount = 5 })).Status.ShouldBe(HttpStatusCode.Forbidden);
        (await server.Client(other.Key).GetAsync($"/api/v1/customers/{customer.Id}/grants")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await server.Admin.DeleteAsync($"/api/v1/customers/{other.Id}/grants/{own.Id}")).Status.ShouldBe(HttpStatusCode.NotFound);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class GrantsOnSqlite(SqliteServer server) : GrantTests(server);

[Collection(PostgresCollection.Name)]
public sealed class GrantsOnPostgres(PostgresServer server) : GrantTests(server);
