using Dapper;
using Tollgate.ApiKeys;
using Tollgate.IntegrationTests.Infrastructure;
using Tollgate.Storage;

namespace Tollgate.IntegrationTests;

public abstract class ApiKeyTests(TollgateServer server)
{
    async Task<(string CustomerId, string Secret, string KeyId)> CustomerWithKeyAsync(object? scopes = null)
    {
        var customer = await server.Admin.PostAsync("/api/v1/customers", new { name = "Keyholder" });
        var key = await server.Admin.PostAsync("/api/v1/keys", new { name = "app", customer_id = customer.Id, scopes });
        key.Status.ShouldBe(HttpStatusCode.Created);
        return (customer.Id, key.Str("secret")!, key.Id);
    }

    [Fact]
    public async Task The_secret_is_shown_once_and_only_its_hash_is_stored()
    {
        var (_, secret, keyId) = await CustomerWithKeyAsync();

        secret.ShouldStartWith("tg_live_");
        var read = await server.Admin.GetAsync($"/api/v1/keys/{keyId}");
        read.Body!.AsObject().ContainsKey("secret").ShouldBeFalse();
        read.Str("display")!.ShouldStartWith(secret[..12]);
        read.Str("display")!.ShouldEndWith(secret[^4..]);
        await using var connection = await server.Get<Database>().OpenAsync();
        var stored = await connection.QuerySingleAsync<string>("SELECT key_hash FROM api_keys WHERE id = @keyId", new { keyId });
        stored.ShouldBe(KeyHash.Of(secret).ToHex());
        var columns = (await connection.QueryAsync("SELECT * FROM api_keys WHERE id = @keyId", new { keyId })).Single() as IDictionary<string, object>;
        columns!.Values.OfType<string>().ShouldNotContain(secret);
    }

    [Theory]
    [InlineData(null, "missing_api_key")]
    [InlineData("sk-not-ours", "malformed_api_key")]
    [InlineData("tg_live_0000000000000000000000000000000000000000000", "invalid_api_key")]
    public async Task Requests_without_a_valid_key_get_401_with_a_code(string? key, string code)
    {
        var response = await server.Client(key).GetAsync("/api/v1/customers");
        response.Status.ShouldBe(HttpStatusCode.Unauthorized);
        response.Code.ShouldBe(code);
    }

    [Fact]
    public async Task Keys_are_accepted_as_x_api_key_too()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.BaseAddress, "/api/v1/customers"));
        request.Headers.Add("x-api-key", server.AdminKey);
        using var http = new HttpClient();
        (await http.SendAsync(request)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Revocation_takes_effect_on_the_next_request()
    {
        var (customerId, secret, keyId) = await CustomerWithKeyAsync();
        (await server.Client(secret).GetAsync($"/api/v1/customers/{customerId}")).Status.ShouldBe(HttpStatusCode.OK);

        (await server.Admin.PostAsync($"/api/v1/keys/{keyId}/revoke")).Str("status").ShouldBe("revoked");

        var after = await server.Client(secret).GetAsync($"/api/v1/customers/{customerId}");
        after.Status.ShouldBe(HttpStatusCode.Unauthorized);
        after.Code.ShouldBe("api_key_revoked");
    }

    [Fact]
    public async Task An_expired_key_is_refused()
    {
        var customer = await server.Admin.PostAsync("/api/v1/customers", new { name = "Short-lived" });
        var key = await server.Admin.PostAsync("/api/v1/keys", new { name = "temp", customer_id = customer.Id, expires_at = server.Clock.GetUtcNow().AddMinutes(10) });
        var client = server.Client(key.Str("secret"));
        (await client.GetAsync($"/api/v1/customers/{customer.Id}")).Status.ShouldBe(HttpStatusCode.OK);

        server.Clock.Advance(TimeSpan.FromMinutes(11));

        var after = await client.GetAsync($"/api/v1/customers/{customer.Id}");
        after.Status.ShouldBe(HttpStatusCode.Unauthorized);
        after.Code.ShouldBe("api_key_expired");
    }

    [Fact]
    public async Task Rotation_keeps_the_old_key_valid_for_the_overlap_only()
    {
        var (customerId, oldSecret, keyId) = await CustomerWithKeyAsync();

        var rotated = await server.Admin.PostAsync($"/api/v1/keys/{keyId}/rotate", new { overlap_seconds = 600 });

        rotated.Status.ShouldBe(HttpStatusCode.OK);
        rotated.Str("rotated_from").ShouldBe(keyId);
        var newSecret = rotated.Str("secret")!;
        newSecret.ShouldNotBe(oldSecret);
        (await server.Client(oldSecret).GetAsync($"/api/v1/customers/{customerId}")).Status.ShouldBe(HttpStatusCode.OK);
        (await server.Client(newSecret).GetAsync($"/api/v1/customers/{customerId}")).Status.ShouldBe(HttpStatusCode.OK);

        server.Clock.Advance(TimeSpan.FromSeconds(601));

        (await server.Client(oldSecret).GetAsync($"/api/v1/customers/{customerId}")).Code.ShouldBe("api_key_expired");
        (await server.Client(newSecret).GetAsync($"/api/v1/customers/{customerId}")).Status.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_read_only_admin_key_reads_but_cannot_change()
    {
        var readOnly = await server.Admin.PostAsync("/api/v1/keys", new { name = "dashboards", kind = "admin", scopes = new[] { "admin:read" } });
        var client = server.Client(readOnly.Str("secret"));

        (await client.GetAsync("/api/v1/customers")).Status.ShouldBe(HttpStatusCode.OK);
        var write = await client.PostAsync("/api/v1/customers", new { name = "Nope" });
        write.Status.ShouldBe(HttpStatusCode.Forbidden);
        write.Code.ShouldBe("forbidden");
    }

    [Fact]
    public async Task Unknown_scopes_are_refused()
    {
        var customer = await server.Admin.PostAsync("/api/v1/customers", new { name = "Scoped" });
        var response = await server.Admin.PostAsync("/api/v1/keys", new { name = "x", customer_id = customer.Id, scopes = new[] { "admin" } });
        response.Status.ShouldBe(HttpStatusCode.BadRequest);
        response.FieldErrors.ShouldBe(["scopes"]);
    }

    [Fact]
    public async Task Last_use_is_recorded_off_the_request_path()
    {
        var (customerId, secret, keyId) = await CustomerWithKeyAsync();
        (await server.Admin.GetAsync($"/api/v1/keys/{keyId}")).Body!["last_used_at"].ShouldBeNull();

        await server.Client(secret).GetAsync($"/api/v1/customers/{customerId}");
        await server.Get<KeyUsageRecorder>().FlushAsync(CancellationToken.None);

        (await server.Admin.GetAsync($"/api/v1/keys/{keyId}")).Body!["last_used_at"].ShouldNotBeNull();
    }

    [Fact]
    public async Task A_customer_key_with_keys_write_creates_keys_only_for_its_own_customer()
    {
        var (customerId, secret, _) = await CustomerWithKeyAsync(new[] { "customer:read", "keys:write" });
        var other = await server.Admin.PostAsync("/api/v1/customers", new { name = "Other" });
        var client = server.Client(secret);

        var own = await client.PostAsync("/api/v1/keys", new { name = "mine", scopes = new[] { "customer:read" } });
        var foreign = await client.PostAsync("/api/v1/keys", new { name = "theirs", customer_id = other.Id, scopes = new[] { "customer:read" } });
        var escalate = await client.PostAsync("/api/v1/keys", new { name = "more", scopes = new[] { "gateway" } });

        own.Status.ShouldBe(HttpStatusCode.Created);
        own.Str("customer_id").ShouldBe(customerId);
        foreign.Status.ShouldBe(HttpStatusCode.NotFound);
        escalate.Status.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Rotation_keeps_the_keys_expiry_scopes_and_mode()
    {
        var customer = await server.Admin.PostAsync("/api/v1/customers", new { name = "Expiring" });
        var expires = server.Clock.GetUtcNow().AddDays(7);
        var key = await server.Admin.PostAsync("/api/v1/keys",
            new { name = "ci", customer_id = customer.Id, mode = "test", scopes = new[] { "customer:read" }, expires_at = expires });

        var rotated = await server.Admin.PostAsync($"/api/v1/keys/{key.Id}/rotate", new { overlap_seconds = 0 });

        rotated.Status.ShouldBe(HttpStatusCode.OK);
        DateTimeOffset.Parse(rotated.Str("expires_at")!).ShouldBe(expires);
        rotated.Str("mode").ShouldBe("test");
        rotated.Str("secret")!.ShouldStartWith("tg_test_");
        rotated.Body!["scopes"]!.AsArray().Select(s => s!.GetValue<string>()).ShouldBe(["customer:read"]);
    }

    [Fact]
    public async Task A_customer_key_cannot_take_a_sibling_keys_secret_by_rotating_it_unless_it_could_have_created_that_key()
    {
        var (customerId, secret, _) = await CustomerWithKeyAsync(new[] { "customer:read", "keys:write" });
        var stronger = await server.Admin.PostAsync("/api/v1/keys", new { name = "gateway", customer_id = customerId, scopes = new[] { "gateway" } });
        var weaker = await server.Admin.PostAsync("/api/v1/keys", new { name = "reader", customer_id = customerId, scopes = new[] { "customer:read" } });
        var client = server.Client(secret);

        var escalate = await client.PostAsync($"/api/v1/keys/{stronger.Id}/rotate", new { });
        var allowed = await client.PostAsync($"/api/v1/keys/{weaker.Id}/rotate", new { });

        escalate.Status.ShouldBe(HttpStatusCode.Forbidden);
        escalate.Body!.AsObject().ContainsKey("secret").ShouldBeFalse();
        (await server.Admin.GetAsync($"/api/v1/keys/{stronger.Id}")).Str("status").ShouldBe("active");
        allowed.Status.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_key_rotating_itself_without_keys_write_cannot_outlive_its_expiry()
    {
        var customer = await server.Admin.PostAsync("/api/v1/customers", new { name = "Self" });
        var expires = server.Clock.GetUtcNow().AddDays(1);
        var key = await server.Admin.PostAsync("/api/v1/keys",
            new { name = "self", customer_id = customer.Id, scopes = new[] { "customer:read" }, expires_at = expires });
        var client = server.Client(key.Str("secret"));

        var extend = await client.PostAsync($"/api/v1/keys/{key.Id}/rotate", new { expires_at = expires.AddYears(1) });
        var shorten = await client.PostAsync($"/api/v1/keys/{key.Id}/rotate", new { expires_at = expires.AddHours(-1) });

        extend.Status.ShouldBe(HttpStatusCode.Forbidden);
        shorten.Status.ShouldBe(HttpStatusCode.OK);
        DateTimeOffset.Parse(shorten.Str("expires_at")!).ShouldBe(expires.AddHours(-1));
    }

    [Fact]
    public async Task A_test_key_cannot_rotate_a_live_key()
    {
        var customer = await server.Admin.PostAsync("/api/v1/customers", new { name = "Modes" });
        var test = await server.Admin.PostAsync("/api/v1/keys",
            new { name = "test", customer_id = customer.Id, mode = "test", scopes = new[] { "customer:read", "keys:write" } });
        var live = await server.Admin.PostAsync("/api/v1/keys", new { name = "live", customer_id = customer.Id, scopes = new[] { "customer:read" } });

        var rotated = await server.Client(test.Str("secret")).PostAsync($"/api/v1/keys/{live.Id}/rotate", new { });

        rotated.Status.ShouldBe(HttpStatusCode.Forbidden);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class ApiKeysOnSqlite(SqliteServer server) : ApiKeyTests(server);

[Collection(PostgresCollection.Name)]
public sealed class ApiKeysOnPostgres(PostgresServer server) : ApiKeyTests(server);
