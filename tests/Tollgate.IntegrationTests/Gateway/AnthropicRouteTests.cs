using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anthropic;
using Anthropic.Core;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Gateway;

/// <summary>The Anthropic route driven by the official Anthropic .NET SDK, against a fake provider on loopback.</summary>
public abstract class AnthropicRouteTests(TollgateServer server)
{
    AnthropicClient Client(string key) => new(new ClientOptions
    {
        BaseUrl = server.BaseAddress.ToString().TrimEnd('/'),
        ApiKey = key,
        MaxRetries = 0,
        Timeout = TimeSpan.FromSeconds(30),
    });

    static MessageCreateParams Ask(string model, GatewayCustomer customer) => new()
    {
        Model = model,
        MaxTokens = 256,
        System = "You are terse.",
        Messages = [new UserMessageParam("Hello")],
        Metadata = new Metadata { UserID = customer.EndUser },
    };

    static Tool Weather() => new()
    {
        Name = "get_weather",
        Description = "The weather in a city",
        InputSchema = new InputSchema
        {
            Properties = new Dictionary<string, JsonElement> { ["city"] = JsonSerializer.SerializeToElement(new { type = "string" }) },
            Required = ["city"],
        },
    };

    [Fact]
    public async Task A_message_is_answered_and_metered_with_cache_tokens()
    {
        var customer = await server.CustomerAsync("free");
        using var client = Client(customer.Key);

        var message = await client.Messages.Create(Ask("claude-test", customer));

        message.Content.ShouldHaveSingleItem().TryPickText(out var text).ShouldBeTrue();
        text!.Text.ShouldBe("Hello from fake-claude");
        message.Usage.InputTokens.ShouldBe(FakeUpstream.ClaudeInput);
        message.Usage.CacheReadInputTokens.ShouldBe(FakeUpstream.ClaudeCacheRead);
        var record = await server.LastUsageAsync(customer.Id);
        (record.InputTokens, record.CachedTokens, record.CacheWriteTokens, record.OutputTokens).ShouldBe((140L, 30L, 10L, 40L));
        record.CostNanos.ShouldBe(GatewayFixture.ClaudeCostNanos);
        record.Operation.ShouldBe("messages");
        var sent = server.Upstream.For(customer.EndUser).ShouldHaveSingleItem();
        sent.Headers["x-api-key"].ShouldBe(FakeUpstream.AnthropicKey);
        sent.Headers.ContainsKey("authorization").ShouldBeFalse();
        sent.Body["model"]!.GetValue<string>().ShouldBe("fake-claude");
    }

    [Fact]
    public async Task A_stream_passes_through_and_usage_comes_from_message_start_and_delta()
    {
        var customer = await server.CustomerAsync("free");
        using var client = Client(customer.Key);
        var text = new StringBuilder();
        long output = 0;

        await foreach (var e in client.Messages.CreateStreaming(Ask("claude-test", customer)))
        {
            if (e.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var t)) text.Append(t.Text);
            if (e.TryPickDelta(out var messageDelta)) output = messageDelta.Usage.OutputTokens;
        }

        text.ToString().ShouldBe("Hello from fake-claude");
        output.ShouldBe(FakeUpstream.ClaudeOutput);
        var record = await server.LastUsageAsync(customer.Id);
        record.Streamed.ShouldBeTrue();
        (record.InputTokens, record.OutputTokens).ShouldBe((140L, 40L));
        record.CostNanos.ShouldBe(GatewayFixture.ClaudeCostNanos);
    }

    [Fact]
    public async Task An_openai_model_serves_an_anthropic_request_both_streamed_and_not()
    {
        var customer = await server.CustomerAsync("free");
        using var client = Client(customer.Key);

        var message = await client.Messages.Create(Ask("gpt-test", customer));

        message.Content.ShouldHaveSingleItem().TryPickText(out var text).ShouldBeTrue();
        text!.Text.ShouldBe("Hello from fake-gpt");
        message.StopReason!.Raw().ShouldBe("end_turn");
        message.Usage.InputTokens.ShouldBe(FakeUpstream.PromptTokens - FakeUpstream.CachedTokens);
        message.Usage.CacheReadInputTokens.ShouldBe(FakeUpstream.CachedTokens);
        message.Usage.OutputTokens.ShouldBe(FakeUpstream.CompletionTokens);
        var sent = server.Upstream.For(customer.EndUser).ShouldHaveSingleItem();
        sent.Path.ShouldBe("/v1/chat/completions");
        sent.Body["messages"]![0]!["role"]!.GetValue<string>().ShouldBe("system");
        sent.Body["max_tokens"]!.GetValue<int>().ShouldBe(256);

        var streamed = await client.Messages.CreateStreaming(Ask("gpt-test", customer)).Aggregate();
        streamed.Content.ShouldHaveSingleItem().TryPickText(out var streamedText).ShouldBeTrue();
        streamedText!.Text.ShouldBe("Hello from fake-gpt");
        streamed.Usage.OutputTokens.ShouldBe(FakeUpstream.CompletionTokens);
        var record = await server.LastUsageAsync(customer.Id);
        (record.InputTokens, record.OutputTokens, record.CostNanos).ShouldBe((120L, 45L, GatewayFixture.GptCostNanos));
    }

    [Fact]
    public async Task Tools_translate_from_anthropic_to_openai_and_back()
    {
        var customer = await server.CustomerAsync("free");
        using var client = Client(customer.Key);
        var ask = Ask("gpt-test", customer) with { Tools = [Weather()], ToolChoice = new ToolChoiceAuto() };

        var message = await client.Messages.Create(ask);

        message.StopReason!.Raw().ShouldBe("tool_use");
        message.Content.ShouldHaveSingleItem().TryPickToolUse(out var tool).ShouldBeTrue();
        tool!.Name.ShouldBe("get_weather");
        tool.Input["city"].GetString().ShouldBe("Paris");
        server.Upstream.For(customer.EndUser).Single().Body["tools"]![0]!["function"]!["name"]!.GetValue<string>().ShouldBe("get_weather");

        var json = new StringBuilder();
        string? name = null;
        await foreach (var e in client.Messages.CreateStreaming(ask))
        {
            if (e.TryPickContentBlockStart(out var start) && start.ContentBlock.TryPickToolUse(out var use)) name = use.Name;
            if (e.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickInputJson(out var input)) json.Append(input.PartialJson);
        }

        name.ShouldBe("get_weather");
        json.ToString().ShouldBe("""{"city":"Paris"}""");
    }

    [Fact]
    public async Task Errors_come_back_in_anthropic_shape()
    {
        var customer = await server.CustomerAsync("free");
        using var client = Client(customer.Key);

        var notFound = await Should.ThrowAsync<AnthropicApiException>(() => client.Messages.Create(Ask("no-such-model", customer)));
        ((int)notFound.StatusCode).ShouldBe(404);
        notFound.Type!.Raw().ShouldBe("not_found_error");

        var forbidden = await Should.ThrowAsync<AnthropicApiException>(() => client.Messages.Create(Ask("premium-test", customer)));
        ((int)forbidden.StatusCode).ShouldBe(403);
        forbidden.Type!.Raw().ShouldBe("permission_error");

        var limited = await Should.ThrowAsync<AnthropicRateLimitException>(() => client.Messages.Create(Ask("limited", customer)));
        limited.ApiMessage.ShouldBe("Rate limit reached for fake-gpt.");

        using var wrongKey = Client("tg_live_unknown");
        var unauthorized = await Should.ThrowAsync<AnthropicApiException>(() => wrongKey.Messages.Create(Ask("claude-test", customer)));
        ((int)unauthorized.StatusCode).ShouldBe(401);
        unauthorized.Type!.Raw().ShouldBe("authentication_error");
    }

    [Fact]
    public async Task The_key_is_accepted_as_x_api_key_and_max_tokens_is_required()
    {
        var customer = await server.CustomerAsync("free");
        using var http = new HttpClient();
        async Task<(HttpStatusCode, JsonNode?)> SendAsync(string body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.BaseAddress, "/v1/messages"))
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("x-api-key", customer.Key);
            request.Headers.Add("anthropic-version", "2023-06-01");
            using var response = await http.SendAsync(request);
            return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync()));
        }

        var (ok, message) = await SendAsync("""{"model":"claude-test","max_tokens":10,"messages":[{"role":"user","content":"Hi"}]}""");
        ok.ShouldBe(HttpStatusCode.OK);
        message!["type"]!.GetValue<string>().ShouldBe("message");

        var (missing, error) = await SendAsync("""{"model":"claude-test","messages":[{"role":"user","content":"Hi"}]}""");
        missing.ShouldBe(HttpStatusCode.BadRequest);
        error!["type"]!.GetValue<string>().ShouldBe("error");
        error["error"]!["type"]!.GetValue<string>().ShouldBe("invalid_request_error");
    }
}

[Collection(SqliteCollection.Name)]
public sealed class AnthropicRouteOnSqlite(SqliteServer server) : AnthropicRouteTests(server);

[Collection(PostgresCollection.Name)]
public sealed class AnthropicRouteOnPostgres(PostgresServer server) : AnthropicRouteTests(server);
