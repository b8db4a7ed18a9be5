using System.ClientModel;
using System.ClientModel.Primitives;
using Dapper;
using OpenAI;
using OpenAI.Chat;
using Tollgate.Gateway.Admin;
using Tollgate.IntegrationTests.Infrastructure;
using Tollgate.Storage;

namespace Tollgate.IntegrationTests.Gateway;

/// <summary>Providers and models managed over the admin API, their keys encrypted at rest, in force without a restart.</summary>
public abstract class RouteAdminTests(TollgateServer server)
{
    static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    ChatClient Chat(string model, string key) => new(model, new ApiKeyCredential(key), new OpenAIClientOptions
    {
        Endpoint = new Uri(server.BaseAddress, "/v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    });

    object FakeOpenAI(string? apiKey = FakeUpstream.OpenAIKey) => new
    {
        kind = "openai",
        base_url = new Uri(server.Upstream.BaseAddress, "/v1").ToString(),
        api_key = apiKey,
        timeout_seconds = 30,
        headers = new Dictionary<string, string> { ["X-Title"] = "Tollgate tests" },
    };

    async Task<string> StoredCiphertextAsync(string name)
    {
        await using var connection = await server.Get<Database>().OpenAsync();
        return (await connection.QuerySingleAsync<string?>("SELECT api_key_ciphertext FROM gateway_providers WHERE name = @name", new { name }))!;
    }

    [Fact]
    public async Task A_provider_and_model_added_over_the_api_serve_requests_at_once_with_the_key_encrypted_at_rest()
    {
        var provider = Unique("groq");
        var alias = Unique("llama");
        var customer = await server.CustomerAsync("pro");

        var created = await server.Admin.PutAsync($"/api/v1/gateway/providers/{provider}", FakeOpenAI());
        created.Status.ShouldBe(HttpStatusCode.Created);
        created.Str("api_key_last_four").ShouldBe(FakeUpstream.OpenAIKey[^4..]);
        created.Body!["has_api_key"]!.GetValue<bool>().ShouldBeTrue();
        created.Str("source").ShouldBe("api");
        created.Body.ToJsonString().ShouldNotContain(FakeUpstream.OpenAIKey);

        var model = await server.Admin.PutAsync($"/api/v1/gateway/models/{alias}", new { provider, model = "fake-gpt", feature = "premium_models" });
        model.Status.ShouldBe(HttpStatusCode.Created);
        model.Body!["deployments"]![0]!["model"]!.GetValue<string>().ShouldBe("fake-gpt");

        var completion = await Chat(alias, customer.Key).CompleteChatAsync([new UserChatMessage("Hi")], new ChatCompletionOptions { EndUserId = customer.EndUser });
        completion.Value.Content[0].Text.ShouldBe("Hello from fake-gpt");
        var seen = server.Upstream.For(customer.EndUser).ShouldHaveSingleItem();
        seen.Headers["x-title"].ShouldBe("Tollgate tests");
        var record = await server.LastUsageAsync(customer.Id);
        (record.Provider, record.RequestedModel, record.CostNanos).ShouldBe((provider, alias, GatewayFixture.GptCostNanos));

        var ciphertext = await StoredCiphertextAsync(provider);
        ciphertext.ShouldStartWith("v1.");
        ciphertext.ShouldNotContain(FakeUpstream.OpenAIKey);
        var audit = await server.Admin.GetAsync($"/api/v1/audit-log?resource_id={provider}");
        audit.Data.Count.ShouldBe(1);
        audit.Body!.ToJsonString().ShouldNotContain(FakeUpstream.OpenAIKey);
        audit.Body.ToJsonString().ShouldNotContain(ciphertext);
    }

    [Fact]
    public async Task Leaving_the_key_out_keeps_it_and_an_empty_key_removes_it()
    {
        var provider = Unique("vllm");
        var alias = Unique("qwen");
        var customer = await server.CustomerAsync("pro");
        (await server.Admin.PutAsync($"/api/v1/gateway/providers/{provider}", FakeOpenAI())).Status.ShouldBe(HttpStatusCode.Created);
        (await server.Admin.PutAsync($"/api/v1/gateway/models/{alias}", new { provider, model = "fake-gpt" })).Status.ShouldBe(HttpStatusCode.Created);
        var first = await StoredCiphertextAsync(provider);

        var kept = await server.Admin.PutAsync($"/api/v1/gateway/providers/{provider}", new { kind = "openai", base_url = new Uri(server.Upstream.BaseAddress, "/v1").ToString(), timeout_seconds = 5 });
        kept.Status.ShouldBe(HttpStatusCode.OK);
        kept.Body!["timeout_seconds"]!.GetValue<int>().ShouldBe(5);
        kept.Body["has_api_key"]!.GetValue<bool>().ShouldBeTrue();
        (await StoredCiphertextAsync(provider)).ShouldBe(first);
        (await Chat(alias, customer.Key).CompleteChatAsync([new UserChatMessage("Hi")])).Value.Content[0].Text.ShouldBe("Hello from fake-gpt");

        var removed = await server.Admin.PutAsync($"/api/v1/gateway/providers/{provider}", FakeOpenAI(apiKey: ""));
        removed.Body!["has_api_key"]!.GetValue<bool>().ShouldBeFalse();
        var refused = await Should.ThrowAsync<ClientResultException>(() => Chat(alias, customer.Key).CompleteChatAsync([new UserChatMessage("Hi")]));
        refused.Status.ShouldBe(401); // the provider's own answer to a call without its key, passed on
    }

    [Fact]
    public async Task Weighted_deployments_and_fallbacks_are_checked_against_what_exists()
    {
        var provider = Unique("mix");
        var alias = Unique("mixed");
        (await server.Admin.PutAsync($"/api/v1/gateway/providers/{provider}", FakeOpenAI())).Status.ShouldBe(HttpStatusCode.Created);

        var unknown = await server.Admin.PutAsync($"/api/v1/gateway/models/{alias}", new
        {
            deployments = new object[] { new { provider, model = "fake-gpt", weight = 3 }, new { provider = "nowhere", weight = 1 } },
            fallbacks = new[] { "no-such-model" },
        });
        unknown.Status.ShouldBe(HttpStatusCode.BadRequest);
        unknown.Code.ShouldBe("validation_failed");
        unknown.FieldErrors.ShouldBe(["deployments[1].provider", "fallbacks"], ignoreOrder: true);

        var saved = await server.Admin.PutAsync($"/api/v1/gateway/models/{alias}", new
        {
            deployments = new object[] { new { provider, model = "fake-gpt", weight = 3 }, new { provider = "fake-anthropic", model = "fake-claude", weight = 1 } },
            fallbacks = new[] { "gpt-test" },
        });
        saved.Status.ShouldBe(HttpStatusCode.Created);

        var listed = await server.Admin.GetAsync("/api/v1/gateway/models");
        var mine = listed.Data.Single(m => m!["alias"]!.GetValue<string>() == alias)!;
        mine["deployments"]!.AsArray().Select(d => d!["weight"]!.GetValue<int>()).ShouldBe([3, 1]);
        mine["source"]!.GetValue<string>().ShouldBe("api");
        listed.Data.Single(m => m!["alias"]!.GetValue<string>() == "gpt-test")!["source"]!.GetValue<string>().ShouldBe("configuration");
        var route = server.Get<Tollgate.Gateway.Routing.RouteRegistry>().Current.Find(alias).ShouldNotBeNull();
        route.Deployments.Select(d => (d.Provider.Name, d.Model, d.Weight)).ShouldBe([(provider, "fake-gpt", 3), ("fake-anthropic", "fake-claude", 1)]);

        var inUse = await server.Admin.DeleteAsync($"/api/v1/gateway/providers/{provider}");
        inUse.Status.ShouldBe(HttpStatusCode.Conflict);
        inUse.Code.ShouldBe("provider_in_use");

        (await server.Admin.DeleteAsync($"/api/v1/gateway/models/{alias}")).Status.ShouldBe(HttpStatusCode.OK);
        server.Get<Tollgate.Gateway.Routing.RouteRegistry>().Current.Find(alias).ShouldBeNull();
        (await server.Admin.DeleteAsync($"/api/v1/gateway/providers/{provider}")).Status.ShouldBe(HttpStatusCode.OK);
        (await server.Admin.GetAsync($"/api/v1/gateway/providers/{provider}")).Status.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Bad_definitions_and_configured_names_are_refused_with_stable_codes()
    {
        var badProvider = await server.Admin.PutAsync("/api/v1/gateway/providers/evil", new
        {
            kind = "openai",
            base_url = "http://169.254.169.254/latest",
            headers = new Dictionary<string, string> { ["Authorization"] = "Bearer leaked" },
        });
        badProvider.Status.ShouldBe(HttpStatusCode.BadRequest);
        badProvider.FieldErrors.ShouldBe(["base_url", "headers"], ignoreOrder: true);

        var badKind = await server.Admin.PutAsync("/api/v1/gateway/providers/Bad Name", new { kind = "gemini" });
        badKind.Status.ShouldBe(HttpStatusCode.BadRequest);
        badKind.FieldErrors.ShouldBe(["name", "kind"], ignoreOrder: true);

        var sandbox = await server.Admin.PutAsync("/api/v1/gateway/providers/sandbox", new { kind = "openai" });
        sandbox.FieldErrors.ShouldBe(["name"]);

        var configured = await server.Admin.PutAsync("/api/v1/gateway/providers/fake-openai", FakeOpenAI());
        configured.Status.ShouldBe(HttpStatusCode.Conflict);
        configured.Code.ShouldBe("defined_in_configuration");
        (await server.Admin.PutAsync("/api/v1/gateway/models/gpt-test", new { provider = "fake-openai" })).Code.ShouldBe("defined_in_configuration");
        (await server.Admin.DeleteAsync("/api/v1/gateway/models/gpt-test")).Code.ShouldBe("defined_in_configuration");
        (await server.Admin.DeleteAsync("/api/v1/gateway/models/never-was")).Status.ShouldBe(HttpStatusCode.NotFound);

        var unknownField = await server.Admin.PutAsync("/api/v1/gateway/models/x-model", new { provider = "fake-openai", secret = true });
        unknownField.Status.ShouldBe(HttpStatusCode.BadRequest);

        var customer = await server.CustomerAsync("pro");
        (await server.Client(customer.Key).GetAsync("/api/v1/gateway/providers")).Status.ShouldBe(HttpStatusCode.Forbidden);
        (await server.Client(customer.Key).PutAsync("/api/v1/gateway/providers/mine", FakeOpenAI())).Status.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Another_nodes_change_is_picked_up_by_the_refresher()
    {
        var alias = Unique("elsewhere");
        // Written through the store alone, as another node would: this node's table does not know it yet.
        var saved = await server.Get<RouteStore>().PutModelAsync(alias, new PutModelRequest(null, "fake-openai", "fake-gpt", null, null, null, null), Tollgate.Common.Actor.System, CancellationToken.None);
        saved.IsOk.ShouldBeTrue();
        server.Get<Tollgate.Gateway.Routing.RouteRegistry>().Current.Find(alias).ShouldBeNull();

        await server.Get<RouteRefresher>().ReloadAsync(CancellationToken.None);

        server.Get<Tollgate.Gateway.Routing.RouteRegistry>().Current.Find(alias).ShouldNotBeNull();
    }

    [Fact]
    public async Task A_key_sealed_for_one_provider_does_not_open_as_another()
    {
        var a = Unique("prov-a");
        var b = Unique("prov-b");
        await server.Admin.PutAsync($"/api/v1/gateway/providers/{a}", FakeOpenAI());
        await server.Admin.PutAsync($"/api/v1/gateway/providers/{b}", FakeOpenAI(apiKey: "sk-other-key-1234"));
        await using (var connection = await server.Get<Database>().OpenAsync())
        {
            await connection.ExecuteAsync("UPDATE gateway_providers SET api_key_ciphertext = @c WHERE name = @b", new { c = await StoredCiphertextAsync(a), b });
        }

        var (providers, _) = await server.Get<RouteStore>().LoadAsync(CancellationToken.None);
        providers[a].ApiKey.ShouldBe(FakeUpstream.OpenAIKey);
        providers[b].ApiKey.ShouldBeNull();
    }
}

[Collection(SqliteCollection.Name)]
public sealed class RouteAdminOnSqlite(SqliteServer server) : RouteAdminTests(server);

[Collection(PostgresCollection.Name)]
public sealed class RouteAdminOnPostgres(PostgresServer server) : RouteAdminTests(server);
