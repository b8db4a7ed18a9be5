using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests;

/// <summary>A customer's key sees its own records and nothing of anyone else's, not even whether they exist.</summary>
public abstract class TenantIsolationTests(TollgateServer server)
{
    async Task<(string Id, ApiClient Client, string KeyId)> TenantAsync(string name)
    {
        var customer = await server.Admin.PostAsync("/api/v1/customers", new { name });
        await server.Admin.PostAsync($"/api/v1/customers/{customer.Id}/members", new { email = $"owner@{customer.Id}.example" });
        var key = await server.Admin.PostAsync("/api/v1/keys", new { name = "app", customer_id = customer.Id, scopes = new[] { "customer:read", "keys:write" } });
        return (customer.Id, server.Client(key.Str("secret")), key.Id);
    }

    [Fact]
    public async Task A_customer_key_reads_its_own_customer_and_team()
    {
        var a = await TenantAsync("Tenant A");
        (await a.Client.GetAsync($"/api/v1/customers/{a.Id}")).Status.ShouldBe(HttpStatusCode.OK);
        (await a.Client.GetAsync($"/api/v1/customers/{a.Id}/members")).Data.Count.ShouldBe(1);
    }

    [Theory]
    [InlineData("GET", "/api/v1/customers/{b}")]
    [InlineData("GET", "/api/v1/customers/{b}/members")]
    [InlineData("GET", "/api/v1/customers/{b}/invitations")]
    [InlineData("GET", "/api/v1/keys/{bkey}")]
    [InlineData("POST", "/api/v1/keys/{bkey}/revoke")]
    [InlineData("POST", "/api/v1/keys/{bkey}/rotate")]
    [InlineData("GET", "/api/v1/keys?customer_id={b}")]
    public async Task Another_customers_records_answer_404(string method, string template)
    {
        var a = await TenantAsync("Tenant A");
        var b = await TenantAsync("Tenant B");
        var path = template.Replace("{b}", b.Id, StringComparison.Ordinal).Replace("{bkey}", b.KeyId, StringComparison.Ordinal);

        var response = await a.Client.SendAsync(new HttpMethod(method), path, null);

        response.Status.ShouldBe(HttpStatusCode.NotFound);
        response.Code.ShouldBe("not_found");
        (await server.Admin.GetAsync($"/api/v1/keys/{b.KeyId}")).Str("status").ShouldBe("active");
    }

    [Fact]
    public async Task Listing_keys_with_a_customer_key_shows_only_its_own()
    {
        var a = await TenantAsync("Tenant A");
        await TenantAsync("Tenant B");

        var keys = await a.Client.GetAsync("/api/v1/keys?limit=100");

        keys.Data.Count.ShouldBeGreaterThan(0);
        keys.Data.ShouldAllBe(k => k!["customer_id"]!.GetValue<string>() == a.Id);
    }

    [Theory]
    [InlineData("GET", "/api/v1/customers")]
    [InlineData("GET", "/api/v1/plans")]
    [InlineData("GET", "/api/v1/audit-log")]
    [InlineData("POST", "/api/v1/catalog/apply")]
    public async Task Admin_endpoints_refuse_customer_keys(string method, string path)
    {
        var a = await TenantAsync("Tenant A");
        var response = await a.Client.SendAsync(new HttpMethod(method), path, method == "POST" ? new { } : null);
        response.Status.ShouldBe(HttpStatusCode.Forbidden);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class TenantIsolationOnSqlite(SqliteServer server) : TenantIsolationTests(server);

[Collection(PostgresCollection.Name)]
public sealed class TenantIsolationOnPostgres(PostgresServer server) : TenantIsolationTests(server);
