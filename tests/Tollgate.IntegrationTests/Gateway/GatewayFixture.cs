using System.Text.Json.Nodes;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Gateway.Usage;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Gateway;

/// <summary>A customer on a plan with a gateway key, and ways to read back what the gateway recorded.</summary>
public sealed record GatewayCustomer(string Id, string Key, string EndUser);

public static class GatewayFixture
{
    /// <summary>The answer-engine catalog (free without premium models, pro with them) and a new customer on <paramref name="plan"/>.</summary>
    public static async Task<GatewayCustomer> CustomerAsync(this TollgateServer server, string? plan, string mode = "live", string[]? scopes = null)
    {
        var applied = await server.Get<CatalogApplier>().ApplyAsync(CatalogTemplates.Load("answer-engine")!, false, Actor.System, CancellationToken.None);
        applied.IsOk.ShouldBeTrue();
        var customer = await server.Admin.PostAsync("/api/v1/customers", new { name = "Gateway customer", plan, external_id = $"ext-{Guid.NewGuid():N}" });
        customer.Status.ShouldBe(HttpStatusCode.Created);
        var key = await server.Admin.PostAsync("/api/v1/keys", new { name = "app", customer_id = customer.Id, mode, scopes });
        key.Status.ShouldBe(HttpStatusCode.Created);
        return new GatewayCustomer(customer.Id, key.Str("secret")!, $"user-{Guid.NewGuid():N}");
    }

    /// <summary>A new plan with a hard monthly quota of <paramref name="limit"/> gateway requests, and its metric and feature.</summary>
    public static async Task<(string Metric, string Feature, string Plan)> CappedPlanAsync(this TollgateServer server, long limit)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (metric, feature, plan) = ($"ai_requests_{suffix}", $"ai_quota_{suffix}", $"capped_{suffix}");
        var document = new
        {
            metrics = new[] { new { code = metric, name = "AI requests", @event = "gateway", aggregation = "count" } },
            features = new[] { new { code = feature, name = "AI requests a month", type = "quota", metric, reset_period = "month" } },
            plans = new[] { new { code = plan, name = "Capped", entitlements = new[] { new { feature, limit, enforcement = "hard" } } } },
        };
        (await server.Admin.PostAsync("/api/v1/catalog/apply", document)).Status.ShouldBe(HttpStatusCode.OK);
        return (metric, feature, plan);
    }

    /// <summary>
    /// The usage record of a request, once the background writer has stored it. A request may still be finishing (a
    /// stream drained after its client left), so this polls, flushing each time, for up to 30 s of real time; nothing
    /// asserted depends on how long it takes.
    /// </summary>
    public static async Task<UsageRecord> UsageAsync(this TollgateServer server, string requestId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            await server.Get<UsageDrain>().FlushAsync();
            if (await server.Get<UsageStore>().GetAsync(requestId, CancellationToken.None) is { } record) return record;
            await Task.Delay(5);
        }

        throw new InvalidOperationException($"No usage record for {requestId}.");
    }

    /// <summary>The one usage record of the customer's most recent request.</summary>
    public static async Task<UsageRecord> LastUsageAsync(this TollgateServer server, string customerId)
    {
        await server.Get<UsageDrain>().FlushAsync();
        var page = await server.Get<UsageStore>().ListAsync(customerId, null, null, new PageRequest(1, null), CancellationToken.None);
        page.Data.Count.ShouldBe(1, "the request should have left a usage record");
        return page.Data[0];
    }

    public static HttpRequestMessage Post(TollgateServer server, string path, string key, JsonNode body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.BaseAddress, path))
        {
            Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return request;
    }

    // fake-gpt usage (120 in, 20 of them cached, 45 out) at $1 / $0.50 / $2 per million: 100 + 10 + 90 = 200 millionths of a dollar.
    public const long GptCostNanos = 200_000;

    // fake-claude usage (100 in, 30 cache read, 10 cache write, 40 out) at $3 / $0.30 / $3.75 / $15: 300 + 9 + 37.5 + 600.
    public const long ClaudeCostNanos = 946_500;
}
