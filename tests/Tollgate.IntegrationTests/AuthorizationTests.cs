using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Tollgate.ApiKeys;
using Tollgate.IntegrationTests.Gateway;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests;

/// <summary>
/// Authorization over the whole API, read from the endpoint table itself, so a route added tomorrow is covered
/// without anyone remembering to list it here.
/// </summary>
public abstract class AuthorizationTests(TollgateServer server)
{
    static readonly string[] CustomerScopes = ["gateway", "usage:write", "usage:read", "customer:read", "keys:write"];

    IReadOnlyList<(string Method, string Pattern, RequiredPermission? Permission)> ApiEndpoints() =>
        server.Get<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(m => (m, e.RoutePattern.RawText!, e.Metadata.GetMetadata<RequiredPermission>())))
            .ToList();

    [Fact]
    public void Every_api_endpoint_declares_the_permission_it_needs()
    {
        var endpoints = ApiEndpoints();

        endpoints.Count.ShouldBeGreaterThan(60);
        endpoints.Where(e => e.Permission is null).Select(e => $"{e.Method} {e.Pattern}").ShouldBeEmpty();
    }

    [Fact]
    public async Task A_customer_key_gets_403_on_an_admin_route_whatever_body_it_sends()
    {
        var customer = await server.CustomerAsync("free", scopes: CustomerScopes);
        var client = server.Client(customer.Key);

        var malformed = await client.PostRawAsync("/api/v1/metrics", "{not json");
        var wrongTypes = await client.PostAsync("/api/v1/plans", new { code = 5, name = new[] { 1 } });

        (malformed.Status, malformed.Code).ShouldBe((HttpStatusCode.Forbidden, "forbidden"));
        (wrongTypes.Status, wrongTypes.Code).ShouldBe((HttpStatusCode.Forbidden, "forbidden"));
    }

    /// <summary>
    /// Every route, every method, called with one customer's key (holding every customer scope) against another
    /// customer's ids: no success answer carries anything of theirs, and nothing of theirs changes.
    /// </summary>
    [Fact]
    public async Task A_customer_key_can_neither_see_nor_change_another_customers_records_on_any_route()
    {
        var victim = await server.CustomerAsync("pro", scopes: CustomerScopes);
        var member = await server.Admin.PostAsync($"/api/v1/customers/{victim.Id}/members", new { email = $"owner@{victim.Id}.example" });
        var invitation = await server.Admin.PostAsync($"/api/v1/customers/{victim.Id}/invitations", new { email = $"new@{victim.Id}.example" });
        var grant = await server.Admin.PostAsync($"/api/v1/customers/{victim.Id}/grants", new { feature = "monthly_queries", amount = 5 });
        var limit = await server.Admin.PostAsync("/api/v1/limits", new { scope = "customer", target = victim.Id, measure = "requests", amount = 1000, window = "day" });
        (await server.Admin.PutAsync($"/api/v1/customers/{victim.Id}/entitlements/monthly_queries", new { limit = 40 })).Status.ShouldBe(HttpStatusCode.OK);
        (await server.Client(victim.Key).PostAsync("/api/v1/events", new { id = $"evt-{Guid.NewGuid():N}", code = "query" })).Status.ShouldBe(HttpStatusCode.OK);
        using var http = new HttpClient();
        using var call = await http.SendAsync(GatewayFixture.Post(server, "/v1/chat/completions", victim.Key,
            JsonNode.Parse("""{"model":"gpt-test","messages":[{"role":"user","content":"Hi"}]}""")!));
        var requestId = call.Headers.GetValues("x-request-id").Single();
        await server.UsageAsync(requestId);
        var victimKeyId = (await server.Admin.GetAsync($"/api/v1/keys?customer_id={victim.Id}")).Data[0]!["id"]!.GetValue<string>();
        var secrets = new[] { victim.Id, victimKeyId, member.Id, invitation.Id, grant.Id, limit.Id, requestId };
        var before = await SnapshotAsync(victim.Id);

        var attacker = server.Client((await server.CustomerAsync("free", scopes: CustomerScopes)).Key);
        var leaks = new List<string>();
        foreach (var (method, pattern, _) in ApiEndpoints())
        {
            var path = Fill(pattern, victim.Id, victimKeyId, member.Id, invitation.Id, grant.Id, limit.Id, requestId);
            foreach (var target in new[] { path, $"{path}?customer_id={victim.Id}" })
            {
                var body = method is "POST" or "PUT" or "PATCH"
                    ? new { customer_id = victim.Id, id = $"evt-{Guid.NewGuid():N}", code = "query", feature = "monthly_queries", name = "x", limit = 1, amount = 1 }
                    : null;
                var response = await attacker.SendAsync(new HttpMethod(method), target, body);
                var text = await response.Raw.Content.ReadAsStringAsync();
                if ((int)response.Status is >= 200 and < 300 && secrets.FirstOrDefault(text.Contains) is { } leaked)
                {
                    leaks.Add($"{method} {target} answered {(int)response.Status} with '{leaked}'");
                }

                ((int)response.Status).ShouldBeLessThan(500, $"{method} {target}");
            }
        }

        leaks.ShouldBeEmpty();
        (await SnapshotAsync(victim.Id)).ShouldBe(before);
    }

    static string Fill(string pattern, string customer, string key, string member, string invitation, string grant, string limit, string request) =>
        System.Text.RegularExpressions.Regex.Replace(pattern, @"\{(\w+)(:[^}]*)?\}", m => m.Groups[1].Value switch
        {
            "customerId" => customer,
            "memberId" => member,
            "invitationId" => invitation,
            "grantId" => grant,
            "requestId" => request,
            "feature" => "monthly_queries",
            "version" => "1",
            "id" when pattern.StartsWith("/api/v1/keys", StringComparison.Ordinal) => key,
            "id" when pattern.StartsWith("/api/v1/limits", StringComparison.Ordinal) => limit,
            _ => "anything",
        });

    /// <summary>Everything of the customer an admin can read, as text.</summary>
    async Task<string> SnapshotAsync(string customerId)
    {
        var parts = new List<string>();
        foreach (var path in new[]
        {
            $"/api/v1/customers/{customerId}", $"/api/v1/customers/{customerId}/members", $"/api/v1/customers/{customerId}/invitations",
            $"/api/v1/customers/{customerId}/grants", $"/api/v1/customers/{customerId}/entitlements", $"/api/v1/customers/{customerId}/limits",
            $"/api/v1/keys?customer_id={customerId}", $"/api/v1/events?customer_id={customerId}", $"/api/v1/usage-records?customer_id={customerId}",
        })
        {
            var response = await server.Admin.GetAsync(path);
            response.Status.ShouldBe(HttpStatusCode.OK, path);
            parts.Add($"{path}: {await response.Raw.Content.ReadAsStringAsync()}");
        }

        return string.Join("\n", parts);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class AuthorizationOnSqlite(SqliteServer server) : AuthorizationTests(server);

[Collection(PostgresCollection.Name)]
public sealed class AuthorizationOnPostgres(PostgresServer server) : AuthorizationTests(server);
