using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;
using OpenAI.Images;
using OpenAI.Models;
using Tollgate.Gateway.Usage;
using Tollgate.IntegrationTests.Infrastructure;
using Tollgate.Metering;

namespace Tollgate.IntegrationTests.Gateway;

/// <summary>The OpenAI routes driven by the official OpenAI .NET SDK, against a fake provider on loopback.</summary>
public abstract class OpenAIRouteTests(TollgateServer server)
{
    OpenAIClientOptions Options() => new()
    {
        Endpoint = new Uri(server.BaseAddress, "/v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        NetworkTimeout = TimeSpan.FromSeconds(30),
    };

    ChatClient Chat(string model, string key) => new(model, new ApiKeyCredential(key), Options());

    static ChatCompletionOptions As(GatewayCustomer customer) => new() { EndUserId = customer.EndUser };

    [Fact]
    public async Task A_request_whose_text_the_database_cannot_store_is_recorded_and_does_not_hold_back_others()
    {
        var customer = await server.CustomerAsync("pro");
        using var http = new HttpClient();
        using var odd = await http.SendAsync(GatewayFixture.Post(server, "/v1/chat/completions", customer.Key,
            new JsonObject { ["model"] = "gpt\u0000test", ["user"] = "end\u0000user", ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Hi" }) }));
        using var plain = await http.SendAsync(GatewayFixture.Post(server, "/v1/chat/completions", customer.Key,
            new JsonObject { ["model"] = "gpt-test", ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Hi" }) }));

        odd.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        plain.StatusCode.ShouldBe(HttpStatusCode.OK);
        var oddRecord = await server.UsageAsync(odd.Headers.GetValues("x-request-id").Single());
        oddRecord.RequestedModel.ShouldBe("gpt\uFFFDtest");
        oddRecord.EndUser.ShouldBe("end\uFFFDuser");
        (await server.UsageAsync(plain.Headers.GetValues("x-request-id").Single())).Status.ShouldBe(UsageStatus.Ok);
    }

    [Fact]
    public async Task A_request_without_max_tokens_is_capped_upstream_at_what_it_reserved()
    {
        var customer = await server.CustomerAsync("pro");

        await Chat("gpt-test", customer.Key).CompleteChatAsync([new UserChatMessage("Hi")], As(customer));
        await Chat("gpt-test", customer.Key).CompleteChatAsync([new UserChatMessage("Hi")], new ChatCompletionOptions { EndUserId = customer.EndUser, MaxOutputTokenCount = 77 });

        var seen = server.Upstream.For(customer.EndUser);
        seen[0].Body["max_tokens"]!.GetValue<int>().ShouldBe(4096);
        seen[1].Body["max_tokens"].ShouldBeNull();
        seen[1].Body["max_completion_tokens"]!.GetValue<int>().ShouldBe(77);
    }

    [Fact]
    public async Task A_fallback_to_another_provider_is_capped_in_its_own_field_only()
    {
        var customer = await server.CustomerAsync("pro");

        await Chat("flaky-new", customer.Key).CompleteChatAsync([new UserChatMessage("Hi")], As(customer));

        var seen = server.Upstream.For(customer.EndUser);
        seen.Count.ShouldBe(2);
        (seen[0].Model, seen[0].Body["max_completion_tokens"]?.GetValue<int>(), seen[0].Body["max_tokens"]).ShouldBe(("fail-500", 4096, null));
        (seen[1].Model, seen[1].Body["max_tokens"]?.GetValue<int>(), seen[1].Body["max_completion_tokens"]).ShouldBe(("fake-gpt", 4096, null));
    }

    [Fact]
    public async Task A_completion_is_answered_metered_and_priced_with_the_plan_markup()
    {
        var customer = await server.CustomerAsync("pro");

        var result = await Chat("gpt-test", customer.Key).CompleteChatAsync([new SystemChatMessage("Be brief."), new UserChatMessage("Hi")], As(customer));

        var completion = result.Value;
        completion.Content[0].Text.ShouldBe("Hello from fake-gpt");
        completion.Usage.InputTokenCount.ShouldBe(FakeUpstream.PromptTokens);
        completion.Usage.OutputTokenCount.ShouldBe(FakeUpstream.CompletionTokens);
        var raw = result.GetRawResponse();
        raw.Headers.TryGetValue("x-tollgate-cost", out var cost).ShouldBeTrue();
        cost.ShouldBe("0.00024"); // $0.0002 list price, +20% on the pro plan
        raw.Headers.TryGetValue("x-request-id", out var requestId).ShouldBeTrue();

        var record = await server.UsageAsync(requestId!);
        record.CustomerId.ShouldBe(customer.Id);
        record.EndUser.ShouldBe(customer.EndUser);
        record.Operation.ShouldBe("chat.completions");
        record.RequestedModel.ShouldBe("gpt-test");
        record.ServedModel.ShouldBe("fake-gpt");
        record.Provider.ShouldBe("fake-openai");
        (record.InputTokens, record.CachedTokens, record.OutputTokens, record.ReasoningTokens).ShouldBe((120L, 20L, 45L, 5L));
        record.CostNanos.ShouldBe(GatewayFixture.GptCostNanos);
        record.ChargeNanos.ShouldBe(240_000);
        record.PriceVersion.ShouldContain("+ops.");
        record.Status.ShouldBe(UsageStatus.Ok);
        record.Streamed.ShouldBeFalse();

        var upstream = server.Upstream.For(customer.EndUser).ShouldHaveSingleItem();
        upstream.Model.ShouldBe("fake-gpt");
        upstream.Headers["authorization"].ShouldBe($"Bearer {FakeUpstream.OpenAIKey}");
    }

    [Fact]
    public async Task A_stream_arrives_chunk_by_chunk_and_is_billed_from_the_providers_usage()
    {
        var customer = await server.CustomerAsync("free");
        var text = new StringBuilder();
        ChatTokenUsage? usage = null;

        await foreach (var update in Chat("gpt-test", customer.Key).CompleteChatStreamingAsync([new UserChatMessage("Hi")], As(customer)))
        {
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            usage ??= update.Usage;
        }

        text.ToString().ShouldBe("Hello from fake-gpt");
        usage.ShouldNotBeNull().OutputTokenCount.ShouldBe(FakeUpstream.CompletionTokens);
        var record = await server.LastUsageAsync(customer.Id);
        record.Streamed.ShouldBeTrue();
        (record.InputTokens, record.OutputTokens).ShouldBe((120L, 45L));
        record.CostNanos.ShouldBe(GatewayFixture.GptCostNanos);
        record.ChargeNanos.ShouldBe(GatewayFixture.GptCostNanos); // no markup on free
        record.UsageEstimated.ShouldBeFalse();
        record.TimeToFirstTokenMs.ShouldNotBeNull();
    }

    [Fact]
    public async Task A_stream_that_did_not_ask_for_usage_gets_none_but_is_still_billed()
    {
        var customer = await server.CustomerAsync("free");
        using var request = GatewayFixture.Post(server, "/v1/chat/completions", customer.Key, new JsonObject
        {
            ["model"] = "gpt-test", ["stream"] = true, ["user"] = customer.EndUser,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Hi" }),
        });

        using var response = await new HttpClient().SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        body.ShouldNotContain("\"prompt_tokens\"");
        body.ShouldContain("data: [DONE]");
        body.ShouldContain("\"content\":\" fake-gpt\"");
        server.Upstream.For(customer.EndUser).ShouldHaveSingleItem().Body["stream_options"]!["include_usage"]!.GetValue<bool>().ShouldBeTrue();
        var record = await server.LastUsageAsync(customer.Id);
        (record.InputTokens, record.OutputTokens).ShouldBe((120L, 45L));
    }

    [Fact]
    public async Task An_anthropic_model_serves_an_openai_request_with_tools_both_streamed_and_not()
    {
        var customer = await server.CustomerAsync("free");
        var weather = ChatTool.CreateFunctionTool("get_weather", "The weather in a city",
            BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"""));
        var options = new ChatCompletionOptions { EndUserId = customer.EndUser, Tools = { weather } };
        var chat = Chat("claude-test", customer.Key);

        var completion = (await chat.CompleteChatAsync([new SystemChatMessage("Use tools."), new UserChatMessage("Weather in Paris?")], options)).Value;

        completion.FinishReason.ShouldBe(ChatFinishReason.ToolCalls);
        completion.ToolCalls.ShouldHaveSingleItem().FunctionName.ShouldBe("get_weather");
        JsonDocument.Parse(completion.ToolCalls[0].FunctionArguments).RootElement.GetProperty("city").GetString().ShouldBe("Paris");
        completion.Usage.InputTokenCount.ShouldBe(FakeUpstream.ClaudeInput + FakeUpstream.ClaudeCacheRead + FakeUpstream.ClaudeCacheWrite);
        completion.Usage.InputTokenDetails!.CachedTokenCount.ShouldBe(FakeUpstream.ClaudeCacheRead);

        var sent = server.Upstream.For(customer.EndUser).ShouldHaveSingleItem();
        sent.Path.ShouldBe("/anthropic/v1/messages");
        sent.Body["system"]!.GetValue<string>().ShouldBe("Use tools.");
        sent.Body["max_tokens"]!.GetValue<int>().ShouldBe(4096);
        sent.Body["tools"]![0]!["input_schema"]!["required"]![0]!.GetValue<string>().ShouldBe("city");
        sent.Headers["x-api-key"].ShouldBe(FakeUpstream.AnthropicKey);

        var arguments = new StringBuilder();
        string? name = null;
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Weather in Paris?")], options))
        {
            foreach (var call in update.ToolCallUpdates)
            {
                name ??= call.FunctionName;
                arguments.Append(call.FunctionArgumentsUpdate?.ToString());
            }

            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        name.ShouldBe("get_weather");
        arguments.ToString().ShouldBe("""{"city":"Paris"}""");
        finish.ShouldBe(ChatFinishReason.ToolCalls);
        usage.ShouldNotBeNull().OutputTokenCount.ShouldBe(FakeUpstream.ClaudeOutput);

        await server.Get<UsageDrain>().FlushAsync();
        var records = (await server.Get<UsageStore>().ListAsync(customer.Id, null, null, new Tollgate.Common.PageRequest(10, null), CancellationToken.None)).Data;
        records.Count.ShouldBe(2);
        records.ShouldAllBe(r => r.CostNanos == GatewayFixture.ClaudeCostNanos && r.Provider == "fake-anthropic" && r.InputTokens == 140 && r.OutputTokens == 40);
    }

    [Fact]
    public async Task A_failing_deployment_falls_back_to_the_next_model()
    {
        var customer = await server.CustomerAsync("free");

        var completion = (await Chat("flaky", customer.Key).CompleteChatAsync([new UserChatMessage("Hi")], As(customer))).Value;

        completion.Content[0].Text.ShouldBe("Hello from fake-gpt");
        server.Upstream.For(customer.EndUser).Select(r => r.Model).ShouldBe(["fail-500", "fake-gpt"]);
        var record = await server.LastUsageAsync(customer.Id);
        record.Attempts.ShouldBe(2);
        record.ServedModel.ShouldBe("fake-gpt");
        record.RequestedModel.ShouldBe("flaky");
        record.Status.ShouldBe(UsageStatus.Ok);
    }

    [Fact]
    public async Task A_timeout_falls_back_to_another_provider()
    {
        var customer = await server.CustomerAsync("free");

        var completion = (await Chat("hang", customer.Key).CompleteChatAsync([new UserChatMessage("Hi")], As(customer))).Value;

        completion.Content[0].Text.ShouldBe("Hello from fake-claude");
        var record = await server.LastUsageAsync(customer.Id);
        record.Attempts.ShouldBe(2);
        record.Provider.ShouldBe("fake-anthropic");
    }

    [Fact]
    public async Task An_upstream_429_is_passed_on_with_its_retry_after_and_message()
    {
        var customer = await server.CustomerAsync("free");

        var error = await Should.ThrowAsync<ClientResultException>(() => Chat("limited", customer.Key).CompleteChatAsync([new UserChatMessage("Hi")], As(customer)));

        error.Status.ShouldBe(429);
        error.GetRawResponse()!.Headers.TryGetValue("Retry-After", out var retryAfter).ShouldBeTrue();
        retryAfter.ShouldBe("7");
        var body = JsonNode.Parse(error.GetRawResponse()!.Content.ToString())!;
        body["error"]!["message"]!.GetValue<string>().ShouldBe("Rate limit reached for fake-gpt.");
        body["error"]!["code"]!.GetValue<string>().ShouldBe("rate_limit_exceeded");
        var record = await server.LastUsageAsync(customer.Id);
        (record.Status, record.HttpStatus, record.CostNanos).ShouldBe((UsageStatus.UpstreamError, 429, 0L));
    }

    [Fact]
    public async Task Malformed_upstream_json_becomes_a_502_in_openai_shape()
    {
        var customer = await server.CustomerAsync("free");

        var error = await Should.ThrowAsync<ClientResultException>(() => Chat("bad-json", customer.Key).CompleteChatAsync([new UserChatMessage("Hi")], As(customer)));

        error.Status.ShouldBe(502);
        JsonNode.Parse(error.GetRawResponse()!.Content.ToString())!["error"]!["code"]!.GetValue<string>().ShouldBe("upstream_invalid_response");
        (await server.LastUsageAsync(customer.Id)).ErrorCode.ShouldBe("upstream_invalid_response");
    }

    [Fact]
    public async Task An_upstream_answer_past_the_size_limit_is_dropped_as_a_502_not_held_in_memory()
    {
        var customer = await server.CustomerAsync("free");

        var error = await Should.ThrowAsync<ClientResultException>(() => Chat("huge", customer.Key).CompleteChatAsync([new UserChatMessage("Hi")], As(customer)));

        error.Status.ShouldBe(502);
        JsonNode.Parse(error.GetRawResponse()!.Content.ToString())!["error"]!["code"]!.GetValue<string>().ShouldBe("upstream_response_too_large");
        (await server.LastUsageAsync(customer.Id)).ErrorCode.ShouldBe("upstream_response_too_large");
    }

    [Fact]
    public async Task An_upstream_stream_past_the_size_limit_is_cut_and_says_why()
    {
        var customer = await server.CustomerAsync("free");
        using var request = GatewayFixture.Post(server, "/v1/chat/completions", customer.Key, new JsonObject
        {
            ["model"] = "huge", ["stream"] = true, ["user"] = customer.EndUser,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Hi" }),
        });

        using var response = await new HttpClient().SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        body.Length.ShouldBeLessThan(2 * 1024 * 1024);
        var record = await server.LastUsageAsync(customer.Id);
        (record.Status, record.ErrorCode).ShouldBe((UsageStatus.Incomplete, "upstream_response_too_large"));
    }

    [Fact]
    public async Task A_stream_cut_off_midway_tells_the_client_and_bills_an_estimate()
    {
        var customer = await server.CustomerAsync("free");
        using var request = GatewayFixture.Post(server, "/v1/chat/completions", customer.Key, new JsonObject
        {
            ["model"] = "cut-stream", ["stream"] = true, ["user"] = customer.EndUser,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Hi" }),
        });

        using var response = await new HttpClient().SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        body.ShouldContain("\"code\":\"upstream_stream_incomplete\"");
        var record = await server.LastUsageAsync(customer.Id);
        record.Status.ShouldBe(UsageStatus.Incomplete);
        record.UsageEstimated.ShouldBeTrue();
        record.OutputTokens.ShouldBe(5); // no tokenizer fits fake-gpt: "Hello from fake-gpt" is 19 bytes, 4 to a token
        record.CostNanos.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task A_stream_cut_off_midway_is_billed_by_the_tokens_of_the_text_it_delivered()
    {
        var customer = await server.CustomerAsync("free");
        var messages = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Say hello to the whole wide world, please." });
        using var request = GatewayFixture.Post(server, "/v1/chat/completions", customer.Key, new JsonObject
        {
            ["model"] = "cut-stream-4o", ["stream"] = true, ["user"] = customer.EndUser, ["messages"] = messages.DeepClone(),
        });

        using var response = await new HttpClient().SendAsync(request);
        await response.Content.ReadAsStringAsync();

        var o200k = Microsoft.ML.Tokenizers.TiktokenTokenizer.CreateForEncoding("o200k_base");
        var record = await server.LastUsageAsync(customer.Id);
        (record.Status, record.UsageEstimated).ShouldBe((UsageStatus.Incomplete, true));
        record.OutputTokens.ShouldBe(o200k.CountTokens("Hello from fake-gpt"));
        // The prompt as the tokenizer counts it, with OpenAI's overhead of three per message and three for the answer.
        record.InputTokens.ShouldBe(o200k.CountTokens("user") + o200k.CountTokens("Say hello to the whole wide world, please.") + 3 + 3);
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_stream_is_billed_what_the_provider_generated()
    {
        var customer = await server.CustomerAsync("free");
        server.Upstream.ResetGate();
        using var request = GatewayFixture.Post(server, "/v1/chat/completions", customer.Key, new JsonObject
        {
            ["model"] = "held-stream", ["stream"] = true, ["user"] = customer.EndUser,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Hi" }),
        });
        string requestId;
        // No draining: disposing the response closes the connection, as a browser tab or a killed process would.
        using (var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }))
        {
            var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            requestId = response.Headers.GetValues("x-request-id").Single();
            var stream = await response.Content.ReadAsStreamAsync();
            var first = new byte[64];
            (await stream.ReadAsync(first)).ShouldBeGreaterThan(0);
            response.Dispose(); // the client goes away after the first chunk
        }

        server.Upstream.Release();
        var record = await server.UsageAsync(requestId);

        record.Status.ShouldBe(UsageStatus.ClientDisconnected);
        record.UsageEstimated.ShouldBeFalse();
        (record.InputTokens, record.OutputTokens).ShouldBe((120L, 45L));
        record.CostNanos.ShouldBe(GatewayFixture.GptCostNanos);
    }

    [Fact]
    public async Task A_free_plan_cannot_use_a_premium_model_and_does_not_see_it()
    {
        var free = await server.CustomerAsync("free");
        var pro = await server.CustomerAsync("pro");

        var error = await Should.ThrowAsync<ClientResultException>(() => Chat("premium-test", free.Key).CompleteChatAsync([new UserChatMessage("Hi")], As(free)));
        error.Status.ShouldBe(403);
        var body = JsonNode.Parse(error.GetRawResponse()!.Content.ToString())!["error"]!;
        body["code"]!.GetValue<string>().ShouldBe("model_not_allowed");
        body["type"]!.GetValue<string>().ShouldBe("permission_error");
        server.Upstream.For(free.EndUser).ShouldBeEmpty();
        (await Chat("premium-test", pro.Key).CompleteChatAsync([new UserChatMessage("Hi")], As(pro))).Value.Content[0].Text.ShouldBe("Hello from fake-gpt");

        var freeModels = (await new OpenAIModelClient(new ApiKeyCredential(free.Key), Options()).GetModelsAsync()).Value.Select(m => m.Id).ToList();
        var proModels = (await new OpenAIModelClient(new ApiKeyCredential(pro.Key), Options()).GetModelsAsync()).Value.Select(m => m.Id).ToList();
        freeModels.ShouldContain("gpt-test");
        freeModels.ShouldNotContain("premium-test");
        proModels.ShouldContain("premium-test");
    }

    [Fact]
    public async Task An_operator_key_calls_for_a_customer_named_by_external_id()
    {
        var customer = await server.CustomerAsync("free");
        var externalId = (await server.Admin.GetAsync($"/api/v1/customers/{customer.Id}")).Str("external_id")!;
        using var request = GatewayFixture.Post(server, "/v1/chat/completions", server.AdminKey, new JsonObject
        {
            ["model"] = "gpt-test",
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Hi" }),
        });
        request.Headers.Add("x-tollgate-customer", externalId);
        request.Headers.Add("x-tollgate-end-user", customer.EndUser);

        using var response = await new HttpClient().SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var record = await server.LastUsageAsync(customer.Id);
        record.EndUser.ShouldBe(customer.EndUser);
        record.KeyId.ShouldStartWith("key_");
    }

    [Fact]
    public async Task Embeddings_and_images_are_metered()
    {
        var customer = await server.CustomerAsync("free");
        var embeddings = new EmbeddingClient("embed-test", new ApiKeyCredential(customer.Key), Options());
        var images = new ImageClient("image-test", new ApiKeyCredential(customer.Key), Options());

        var vectors = (await embeddings.GenerateEmbeddingsAsync(["a", "b"], new EmbeddingGenerationOptions { EndUserId = customer.EndUser })).Value;
        vectors.Count.ShouldBe(2);
        vectors[0].ToFloats().ToArray().ShouldBe([0.25f, 0.5f, -0.75f]);
        var embeddingRecord = await server.LastUsageAsync(customer.Id);
        embeddingRecord.Operation.ShouldBe("embeddings");
        embeddingRecord.InputTokens.ShouldBe(16);
        embeddingRecord.CostNanos.ShouldBe(1_600); // 16 tokens at $0.10 per million

        var generated = (await images.GenerateImagesAsync("a cat", 2, new ImageGenerationOptions { ResponseFormat = GeneratedImageFormat.Uri, EndUserId = customer.EndUser })).Value;
        generated.Count.ShouldBe(2);
        await server.Get<UsageDrain>().FlushAsync();
        var imageRecord = (await server.Get<UsageStore>().ListAsync(customer.Id, null, "image-test", new Tollgate.Common.PageRequest(1, null), CancellationToken.None)).Data.Single();
        imageRecord.Images.ShouldBe(2);
        imageRecord.CostNanos.ShouldBe(80_000_000); // two images at $0.04
    }

    [Fact]
    public async Task A_test_mode_key_is_served_by_the_sandbox_offline()
    {
        var customer = await server.CustomerAsync("free", mode: "test");

        var result = await Chat("gpt-test", customer.Key).CompleteChatAsync([new UserChatMessage("Hi")], As(customer));

        result.Value.Content[0].Text.ShouldStartWith("[sandbox]");
        result.GetRawResponse().Headers.TryGetValue("x-tollgate-sandbox", out var sandbox).ShouldBeTrue();
        sandbox.ShouldBe("true");
        server.Upstream.For(customer.EndUser).ShouldBeEmpty();
        var record = await server.LastUsageAsync(customer.Id);
        (record.Provider, record.Mode).ShouldBe(("sandbox", "test"));
        record.OutputTokens.ShouldBe(result.Value.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task An_opted_in_request_is_answered_from_the_cache_the_second_time()
    {
        var customer = await server.CustomerAsync("free");
        var body = new JsonObject
        {
            ["model"] = "gpt-test", ["user"] = customer.EndUser,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Cache me" }),
        };
        using var client = new HttpClient();
        var ids = new List<string>();
        var answers = new List<string>();
        foreach (var attempt in new[] { "miss", "hit" })
        {
            using var request = GatewayFixture.Post(server, "/v1/chat/completions", customer.Key, body);
            request.Headers.Add("x-tollgate-cache", "true");
            using var response = await client.SendAsync(request);
            response.Headers.GetValues("x-tollgate-cache").Single().ShouldBe(attempt);
            ids.Add(response.Headers.GetValues("x-request-id").Single());
            answers.Add(await response.Content.ReadAsStringAsync());
        }

        answers[1].ShouldBe(answers[0]);
        server.Upstream.For(customer.EndUser).Count.ShouldBe(1);
        var hit = await server.UsageAsync(ids[1]);
        hit.CacheHit.ShouldBeTrue();
        (hit.CostNanos, hit.ChargeNanos).ShouldBe((0L, 0L));
        hit.InputTokens.ShouldBe(120);
    }

    [Fact]
    public async Task Bad_requests_get_openai_shaped_errors_and_are_never_500()
    {
        var customer = await server.CustomerAsync("free");
        using var client = new HttpClient();
        foreach (var (body, status, code) in new[]
        {
            ("{not json", 400, "invalid_request"),
            ("""{"messages":[{"role":"user","content":"x"}]}""", 400, "invalid_request"),
            ("""{"model":"gpt-test","messages":[]}""", 400, "invalid_request"),
            ("""{"model":"no-such-model","messages":[{"role":"user","content":"x"}]}""", 404, "model_not_found"),
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.BaseAddress, "/v1/chat/completions"))
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new("Bearer", customer.Key);
            using var response = await client.SendAsync(request);
            ((int)response.StatusCode).ShouldBe(status, body);
            var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
            error["code"]!.GetValue<string>().ShouldBe(code);
            error["message"]!.GetValue<string>().ShouldNotBeNullOrEmpty();

            // Refused requests are recorded too, an unreadable one with an empty model (not lost as a NULL one).
            var record = await server.UsageAsync(response.Headers.GetValues("x-request-id").Single());
            record.Status.ShouldBe(UsageStatus.Rejected, body);
            if (!body.Contains("\"model\"", StringComparison.Ordinal)) record.RequestedModel.ShouldBe("", body);
        }

        var unauthorized = await Should.ThrowAsync<ClientResultException>(() => Chat("gpt-test", "tg_live_nope").CompleteChatAsync([new UserChatMessage("Hi")]));
        unauthorized.Status.ShouldBe(401);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class OpenAIRouteOnSqlite(SqliteServer server) : OpenAIRouteTests(server);

[Collection(PostgresCollection.Name)]
public sealed class OpenAIRouteOnPostgres(PostgresServer server) : OpenAIRouteTests(server);
