using System.Diagnostics;
using Xunit.Abstractions;
using System.Text.Json.Nodes;
using Tollgate.IntegrationTests.Gateway;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Cluster;

/// <summary>
/// Two Tollgate nodes on one PostgreSQL database, sharing nothing else: changes made through one reach the other's
/// caches through LISTEN/NOTIFY, and a hard quota holds across both.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class TwoNodeTests(PostgresServer first, ITestOutputHelper output) : IAsyncLifetime
{
    readonly PostgresPeer _second = new(first);

    public Task InitializeAsync() => _second.InitializeAsync();

    public Task DisposeAsync() => _second.DisposeAsync();

    /// <summary>
    /// Waits until the other node shows a change. Without cross-node notification it never would (its caches hold keys
    /// indefinitely and customers for seconds of a clock that does not move), so reaching the condition at all is the test;
    /// how long it took is reported, not asserted: speed lives in benchmarks.
    /// </summary>
    async Task SeenAsync(string what, Func<Task<bool>> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(20)) throw new TimeoutException($"The second node never saw: {what}.");
            await Task.Delay(5);
        }

        output.WriteLine($"{what}: seen on the second node after {watch.Elapsed.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task A_key_revoked_on_one_node_is_refused_on_the_other()
    {
        var customer = await first.CustomerAsync("free");
        var onSecond = _second.Client(customer.Key);
        (await onSecond.GetAsync("/v1/models")).Status.ShouldBe(HttpStatusCode.OK); // now cached there
        var keyId = (await first.Admin.GetAsync($"/api/v1/keys?customer_id={customer.Id}")).Data[0]!["id"]!.GetValue<string>();

        (await first.Admin.PostAsync($"/api/v1/keys/{keyId}/revoke")).Status.ShouldBe(HttpStatusCode.OK);

        await SeenAsync("key revoked", async () => (await onSecond.GetAsync("/v1/models")).Status == HttpStatusCode.Unauthorized);
        (await onSecond.GetAsync($"/api/v1/customers/{customer.Id}")).Status.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_plan_change_and_a_new_limit_made_on_one_node_apply_on_the_other()
    {
        var customer = await first.CustomerAsync("free");
        var onSecond = _second.Client(customer.Key);
        var premium = new { model = "premium-test", messages = new[] { new { role = "user", content = "Hi" } } };
        (await onSecond.PostAsync("/v1/chat/completions", premium)).Status.ShouldBe(HttpStatusCode.Forbidden);

        (await first.Admin.PatchAsync($"/api/v1/customers/{customer.Id}", new { plan = "pro" })).Status.ShouldBe(HttpStatusCode.OK);
        await SeenAsync("plan changed", async () => (await onSecond.PostAsync("/v1/chat/completions", premium)).Status == HttpStatusCode.OK);

        var limit = await first.Admin.PostAsync("/api/v1/limits", new { scope = "customer", target = customer.Id, measure = "requests", amount = 1, window = "day" });
        limit.Status.ShouldBe(HttpStatusCode.Created);
        await SeenAsync("limit created", async () =>
            (await onSecond.GetAsync($"/api/v1/customers/{customer.Id}/limits")).Data.Any(s => s!["limit"]!["id"]!.GetValue<string>() == limit.Id));
    }

    [Fact]
    public async Task A_metric_changed_on_one_node_applies_to_events_sent_to_the_other()
    {
        var customer = await first.CustomerAsync("free", scopes: ["usage:write"]);
        var onSecond = _second.Client(customer.Key);
        var code = $"refund_{Guid.NewGuid():N}"[..20];
        (await first.Admin.PutAsync($"/api/v1/metrics/{code}", new { name = "Refunds", aggregation = "sum", field = "amount" })).Status.ShouldBe(HttpStatusCode.OK);
        Task<ApiResponse> Negative() => onSecond.PostAsync("/api/v1/events", new { id = $"evt-{Guid.NewGuid():N}", code, properties = new { amount = -1 } });
        (await Negative()).Code.ShouldBe("negative_value"); // the second node has read the metrics now

        (await first.Admin.PutAsync($"/api/v1/metrics/{code}", new { name = "Refunds", aggregation = "sum", field = "amount", allow_negative = true })).Status
            .ShouldBe(HttpStatusCode.OK);

        await SeenAsync("metric changed", async () => (await Negative()).Status == HttpStatusCode.OK);
    }

    [Fact]
    public async Task Usage_stored_through_one_node_shows_in_quota_checks_on_the_other()
    {
        var customer = await first.CustomerAsync("free");
        var check = new { customer_id = customer.Id, feature = "monthly_queries" };
        (await _second.Admin.PostAsync("/api/v1/entitlements/check", check)).Body!["used"]!.GetValue<decimal>().ShouldBe(0); // now cached there

        var events = Enumerable.Range(0, 7).Select(i => new { id = $"n{i}", code = "query", customer_id = customer.Id, properties = new { kind = "basic" } }).ToArray();
        (await first.Admin.PostAsync("/api/v1/events/batch", new { events })).Body!["accepted"]!.GetValue<int>().ShouldBe(7);

        await SeenAsync("usage stored", async () => (await _second.Admin.PostAsync("/api/v1/entitlements/check", check)).Body!["used"]!.GetValue<decimal>() == 7);
    }

    [Fact]
    public async Task A_thousand_concurrent_requests_spread_over_two_nodes_admit_exactly_a_hard_quota_of_100()
    {
        var (metric, feature, plan) = await first.CappedPlanAsync(100);
        var customer = await first.CustomerAsync(plan);
        // Both nodes know the key and the customer before the burst, so that both compete for the quota.
        (await first.Client(customer.Key).GetAsync("/v1/models")).Status.ShouldBe(HttpStatusCode.OK);
        (await _second.Client(customer.Key).GetAsync("/v1/models")).Status.ShouldBe(HttpStatusCode.OK);

        using var http = new HttpClient();
        var body = JsonNode.Parse("""{"model":"gpt-test","max_tokens":50,"messages":[{"role":"user","content":"Hi"}]}""")!;
        var responses = await Task.WhenAll(Enumerable.Range(0, 1000).Select(async i =>
        {
            var node = i % 2 == 0 ? first : (TollgateServer)_second;
            using var response = await http.SendAsync(GatewayFixture.Post(node, "/v1/chat/completions", customer.Key, body));
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, Error: response.IsSuccessStatusCode ? null : JsonNode.Parse(text)?["error"]?["code"]?.GetValue<string>(), Node: i % 2);
        }));

        responses.Where(r => r.StatusCode != HttpStatusCode.OK).ShouldAllBe(r => r.StatusCode == HttpStatusCode.TooManyRequests && r.Error == "quota_exceeded");
        responses.Count(r => r.StatusCode == HttpStatusCode.OK).ShouldBe(100);
        output.WriteLine($"served by the first node: {responses.Count(r => r.StatusCode == HttpStatusCode.OK && r.Node == 0)}, by the second: {responses.Count(r => r.StatusCode == HttpStatusCode.OK && r.Node == 1)}");

        await first.Get<Tollgate.Gateway.Usage.UsageDrain>().FlushAsync();
        await _second.Get<Tollgate.Gateway.Usage.UsageDrain>().FlushAsync();
        var usage = await first.Admin.GetAsync($"/api/v1/usage?metric={metric}&customer_id={customer.Id}");
        usage.Body!["total"]!.GetValue<decimal>().ShouldBe(100);
    }

    [Fact]
    public async Task Payment_credentials_stored_through_one_node_are_in_force_on_the_other()
    {
        const string secret = "whsec_stored_on_the_first_node_42";
        async Task<HttpStatusCode> OnSecondAsync(string signedWith)
        {
            var body = first.Stripe.Event("customer.created", new JsonObject { ["id"] = $"cus_{Guid.NewGuid():N}", ["object"] = "customer" });
            using var http = new HttpClient();
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_second.BaseAddress, "/webhooks/stripe"))
            {
                Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.TryAddWithoutValidation("Stripe-Signature", FakeStripe.Sign(body, first.Clock.GetUtcNow(), signedWith));
            return (await http.SendAsync(request)).StatusCode;
        }

        (await OnSecondAsync(secret)).ShouldBe(HttpStatusCode.BadRequest);
        try
        {
            (await first.Admin.PutAsync("/api/v1/payment-providers/stripe", new
            {
                secret_key = FakeStripe.SecretKey, webhook_secret = secret, base_url = first.Stripe.BaseAddress.ToString(),
            })).Status.ShouldBe(HttpStatusCode.OK);
            await SeenAsync("payment credentials stored", async () => await OnSecondAsync(secret) == HttpStatusCode.OK);
            (await OnSecondAsync(FakeStripe.WebhookSecret)).ShouldBe(HttpStatusCode.BadRequest);
        }
        finally
        {
            await first.Admin.DeleteAsync("/api/v1/payment-providers/stripe");
        }

        await SeenAsync("payment credentials deleted", async () => await OnSecondAsync(FakeStripe.WebhookSecret) == HttpStatusCode.OK);
    }
}
