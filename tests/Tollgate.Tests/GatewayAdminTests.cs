using Tollgate.Outbound;
using System.Security.Cryptography;
using Tollgate.Gateway;
using Tollgate.Gateway.Admin;
using Tollgate.Gateway.Routing;
using Tollgate.Secrets;

namespace Tollgate.Tests;

public class SecretBoxTests
{
    static SecretBox NewBox() => new(() => RandomNumberGenerator.GetBytes(32));

    [Fact]
    public void A_sealed_secret_opens_with_the_same_key_and_context_only()
    {
        var box = NewBox();
        var sealedKey = box.Seal("sk-live-123456", "gateway_provider:openai");

        sealedKey.ShouldStartWith("v1.");
        sealedKey.ShouldNotContain("sk-live");
        box.Open(sealedKey, "gateway_provider:openai").ShouldBe("sk-live-123456");
        box.Open(sealedKey, "gateway_provider:groq").ShouldBeNull();
        NewBox().Open(sealedKey, "gateway_provider:openai").ShouldBeNull();
    }

    [Fact]
    public void Each_seal_uses_a_fresh_nonce_and_tampering_is_detected()
    {
        var box = NewBox();
        var first = box.Seal("same", "c");
        var second = box.Seal("same", "c");
        first.ShouldNotBe(second);

        var bytes = Convert.FromBase64String(first[3..]);
        bytes[^1] ^= 1;
        box.Open("v1." + Convert.ToBase64String(bytes), "c").ShouldBeNull();
        box.Open("v1.not-base64!", "c").ShouldBeNull();
        box.Open("v1.AAAA", "c").ShouldBeNull();
        box.Open("plaintext", "c").ShouldBeNull();
    }
}

public class RouteRuleTests
{
    static readonly OutboundPolicy Policy = new(allowPrivate: false);

    static readonly HashSet<string> Providers = new(["openai", "groq", "sandbox"], StringComparer.OrdinalIgnoreCase);
    static readonly HashSet<string> Models = new(["gpt-4o-mini", "llama"], StringComparer.OrdinalIgnoreCase);

    [Fact]
    public void A_provider_gets_its_kinds_default_url_and_keeps_the_key_as_sent()
    {
        var anthropic = RouteRules.Provider("claude", new PutProviderRequest("anthropic", null, null, null, null), Policy);
        anthropic.Value.BaseUrl.ShouldBe("https://api.anthropic.com/v1");
        anthropic.Value.TimeoutSeconds.ShouldBe(120);
        anthropic.Value.ApiKey.ShouldBeNull(); // null means: keep what is stored

        RouteRules.Provider("claude", new PutProviderRequest("anthropic", null, "", null, null), Policy).Value.ApiKey.ShouldBe("");
    }

    [Theory]
    [InlineData("http://169.254.169.254/v1", null, "base_url")]
    [InlineData("ftp://example.com", null, "base_url")]
    [InlineData("https://user:pass@example.com", null, "base_url")]
    [InlineData("https://api.groq.com/openai/v1", "x-api-key", "headers")]
    [InlineData("https://api.groq.com/openai/v1", "Bad Header", "headers")]
    public void Unsafe_urls_and_credential_headers_are_refused(string url, string? header, string field)
    {
        var headers = header is null ? null : new Dictionary<string, string> { [header] = "value" };
        var result = RouteRules.Provider("groq", new PutProviderRequest("openai", url, "k", null, headers), Policy);
        result.IsOk.ShouldBeFalse();
        result.Error.Errors!.Keys.ShouldBe([field]);
    }

    [Fact]
    public void A_header_value_cannot_smuggle_a_line_break()
    {
        var result = RouteRules.Provider("groq", new PutProviderRequest("openai", null, null, null, new() { ["X-Title"] = "a\r\nAuthorization: b" }), Policy);
        result.Error!.Errors!.Keys.ShouldBe(["headers"]);
    }

    [Fact]
    public void A_single_provider_model_becomes_one_deployment_named_after_the_alias()
    {
        var model = RouteRules.Model("llama-3", new PutModelRequest(null, "groq", null, null, ["gpt-4o-mini"], null, "llama-3-70b"), Providers, Models).Value;
        model.Type.ShouldBe("chat");
        model.Deployments.ShouldHaveSingleItem().ShouldSatisfyAllConditions(
            d => d.Provider.ShouldBe("groq"),
            d => d.Model.ShouldBe("llama-3"),
            d => d.Weight.ShouldBe(1),
            d => d.PriceAs.ShouldBe("llama-3-70b"));
        model.Fallbacks.ShouldBe(["gpt-4o-mini"]);
    }

    [Fact]
    public void A_model_needs_known_providers_live_weights_and_real_fallbacks()
    {
        var result = RouteRules.Model(
            "mix",
            new PutModelRequest("audio", "groq", null, [new("nowhere", null, 0, null), new("openai", "gpt-4o", 0, null)], ["mix", "ghost"], "Not A Code", null),
            Providers,
            Models);

        result.Error!.Errors!.Keys.ShouldBe(
            ["type", "feature", "provider", "deployments", "deployments[0].provider", "fallbacks"], ignoreOrder: true);
        result.Error.Errors["fallbacks"].Length.ShouldBe(2);
    }

    [Fact]
    public void The_configuration_wins_over_the_api_which_wins_over_the_defaults()
    {
        var configuration = new GatewayOptions();
        var stored = new Dictionary<string, ProviderOptions> { ["openai"] = new() { Kind = "openai", BaseUrl = "http://localhost:11434/v1" } };
        var storedModels = new Dictionary<string, ModelOptions> { ["llama"] = new() { Provider = "openai", Model = "llama3.1" } };

        var layers = RouteLayers.Merge(configuration, stored, storedModels);
        layers.SourceOfProvider("openai").ShouldBe(RouteSource.Api);
        layers.SourceOfProvider("anthropic").ShouldBe(RouteSource.Default);
        layers.SourceOfModel("gpt-4o-mini").ShouldBe(RouteSource.Default);
        layers.Build(new OutboundPolicy(allowPrivate: true)).Table.Find("gpt-4o-mini")!.Deployments[0].Provider.BaseUri.ToString().ShouldBe("http://localhost:11434/v1/");

        configuration.Providers["openai"] = new ProviderOptions { Kind = "openai", BaseUrl = "https://api.openai.com/v1" };
        configuration.Models["llama"] = new ModelOptions { Provider = "openai" };
        layers = RouteLayers.Merge(configuration, stored, storedModels);
        layers.SourceOfProvider("openai").ShouldBe(RouteSource.Configuration);
        layers.SourceOfModel("llama").ShouldBe(RouteSource.Configuration);
        layers.SourceOfModel("gpt-4o-mini").ShouldBeNull(); // a configuration that names models replaces the defaults
        layers.SourceOfProvider("anthropic").ShouldBeNull();
    }
}
