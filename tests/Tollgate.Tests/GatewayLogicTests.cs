using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tollgate.Gateway;
using Tollgate.Gateway.Pricing;
using Tollgate.Gateway.Protocols;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Streaming;
using Tollgate.Gateway.Translation;
using Tollgate.Metering;
using Tollgate.Outbound;

namespace Tollgate.Tests;

public class PricingTests
{
    [Fact]
    public void Cost_prices_cached_cache_written_and_reasoning_tokens_separately()
    {
        var price = new ModelPrice { Input = 3m, CachedInput = 0.3m, CacheWrite = 3.75m, Output = 15m, Reasoning = 20m };
        var usage = new TokenUsage(Input: 1_000, Output: 500, CachedInput: 200, CacheWrite: 100, Reasoning: 50);

        // 700 × 3 + 200 × 0.3 + 100 × 3.75 + 450 × 15 + 50 × 20 = 10,285 dollars per million tokens
        CostCalculator.CostNanos(price, usage).ShouldBe(10_285_000);
    }

    [Fact]
    public void Missing_cached_and_reasoning_prices_fall_back_to_input_and_output()
    {
        var price = new ModelPrice { Input = 1m, Output = 2m };
        CostCalculator.CostNanos(price, new TokenUsage(Input: 10, Output: 10, CachedInput: 5, Reasoning: 5)).ShouldBe(30_000);
    }

    [Fact]
    public void Images_and_requests_are_priced_per_unit_and_markup_rounds_once()
    {
        CostCalculator.CostNanos(new ModelPrice { PerImage = 0.04m, PerRequest = 0.001m }, new TokenUsage(Images: 3)).ShouldBe(121_000_000);
        CostCalculator.WithMarkup(1_000, 20m).ShouldBe(1_200);
        CostCalculator.WithMarkup(5, 10m).ShouldBe(6); // 5.5 rounds away from zero
        CostCalculator.CostNanos(new ModelPrice { Input = 0.02m }, new TokenUsage(Input: 1)).ShouldBe(20); // one embedding token is not free
    }

    [Theory]
    [InlineData("gpt-4o-mini", "gpt-4o-mini")]
    [InlineData("gpt-4o-mini-2024-07-18", "gpt-4o-mini")]
    [InlineData("gpt-4o-2024-08-06", "gpt-4o")]
    [InlineData("openai/gpt-4o-mini", "gpt-4o-mini")]
    [InlineData("claude-sonnet-4-5-20250929", "claude-sonnet-4-5")]
    public void The_price_table_finds_dated_and_prefixed_model_names(string model, string expected)
    {
        var table = PriceTable.Shipped();
        table.Find(model).ShouldBeSameAs(table.Find(expected));
        table.Find(expected).ShouldNotBeNull().Source.ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public void Unknown_models_have_no_price_and_overrides_change_the_version()
    {
        PriceTable.Shipped().Find("mystery-model-1").ShouldBeNull();
        PriceTable.Shipped().Find("gpt-4oo").ShouldBeNull(); // a longer name only matches at a separator
        var overridden = PriceTable.Load(new Dictionary<string, ModelPrice> { ["my-llama"] = new() { Input = 0.1m } });
        overridden.Version.ShouldStartWith(PriceTable.Shipped().Version + "+ops.");
        overridden.Find("my-llama").ShouldNotBeNull();
        PriceTable.Load(null).Version.ShouldBe(PriceTable.Shipped().Version);
    }

    [Fact]
    public void Anthropic_usage_adds_its_three_input_counts()
    {
        var usage = TokenUsage.FromAnthropic(inputTokens: 100, outputTokens: 40, cacheRead: 30, cacheCreation: 10);
        (usage.Input, usage.UncachedInput, usage.CachedInput, usage.CacheWrite).ShouldBe((140L, 100L, 30L, 10L));
    }
}

public class RoutingTests
{
    static readonly UpstreamProvider A = UpstreamProvider.Sandbox with { Name = "a" };

    static ModelRoute Route(string alias, params (string Model, int Weight)[] deployments) =>
        new(alias, "chat", [.. deployments.Select(d => new Deployment(A, d.Model, d.Weight, null))], [], null);

    [Fact]
    public void Weighted_deployments_are_all_tried_once_and_fallbacks_come_after()
    {
        var main = Route("main", ("m1", 1), ("m2", 3)) with { Fallbacks = ["backup", "missing", "main"] };
        var backup = Route("backup", ("b1", 1));
        var plan = RoutePlanner.Plan(main, a => a == "backup" ? backup : null, maxAttempts: 5, new Random(1));

        plan.Select(d => d.Model).Order().ShouldBe(["b1", "m1", "m2"]);
        plan[^1].Model.ShouldBe("b1");
    }

    [Fact]
    public void The_retry_budget_cuts_the_plan()
    {
        var main = Route("main", ("m1", 1), ("m2", 1)) with { Fallbacks = ["backup"] };
        RoutePlanner.Plan(main, _ => Route("backup", ("b1", 1)), maxAttempts: 2, new Random(1)).Count.ShouldBe(2);
    }

    [Fact]
    public void Weights_decide_how_often_a_deployment_goes_first()
    {
        var route = Route("main", ("light", 1), ("heavy", 9));
        var random = new Random(42);
        var heavyFirst = Enumerable.Range(0, 10_000).Count(_ => RoutePlanner.Plan(route, _ => null, 1, random)[0].Model == "heavy");
        heavyFirst.ShouldBeInRange(8_700, 9_300);
    }

    [Fact]
    public void A_zero_weight_deployment_is_never_used()
    {
        RoutePlanner.Plan(Route("main", ("off", 0), ("on", 1)), _ => null, 5, new Random(3)).Select(d => d.Model).ShouldBe(["on"]);
    }

    [Fact]
    public void Bad_provider_and_model_definitions_are_reported()
    {
        var (table, errors) = RouteTable.Build(
            new Dictionary<string, ProviderOptions> { ["x"] = new() { Kind = "mystery" }, ["ok"] = new() { Kind = "openai", BaseUrl = "http://127.0.0.1:9/v1" } },
            new Dictionary<string, ModelOptions>
            {
                ["m"] = new() { Provider = "nowhere" },
                ["n"] = new() { Provider = "ok", Fallbacks = ["ghost"] },
            },
            new OutboundPolicy(allowPrivate: true));

        errors.ShouldContain(e => e.Contains("mystery"));
        errors.ShouldContain(e => e.Contains("'nowhere'"));
        errors.ShouldContain(e => e.Contains("'ghost'"));
        table.Find("n").ShouldNotBeNull().Deployments[0].Model.ShouldBe("n");
        table.Providers.ContainsKey("sandbox").ShouldBeTrue();
    }
}

public class StreamingTests
{
    static async Task<List<(string? Name, string Data, string Raw)>> ReadAllAsync(string text, int chunk)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        using var reader = new SseReader(new TrickleStream(bytes, chunk));
        var events = new List<(string?, string, string)>();
        while (await reader.ReadAsync(CancellationToken.None) is { } e) events.Add((e.Name, Encoding.UTF8.GetString(e.Data.Span), Encoding.UTF8.GetString(e.Raw.Span)));
        return events;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public async Task Events_are_split_whatever_size_the_network_reads_are(int chunk)
    {
        const string text = "event: message_start\ndata: {\"a\":1}\n\n: keep-alive\n\ndata: {\"b\":2}\r\n\r\ndata: line one\ndata: line two\n\ndata: [DONE]\n\n";
        var events = await ReadAllAsync(text, chunk);

        events.Select(e => e.Name).ShouldBe(["message_start", null, null, null]);
        events.Select(e => e.Data).ShouldBe(["{\"a\":1}", "{\"b\":2}", "line one\nline two", "[DONE]"]);
        events[0].Raw.ShouldBe("event: message_start\ndata: {\"a\":1}\n\n");
    }

    [Fact]
    public async Task An_event_cut_off_by_the_end_of_the_stream_is_still_read()
    {
        var events = await ReadAllAsync("data: {\"a\":1}\n\ndata: {\"partial", 5);
        events.Select(e => e.Data).ShouldBe(["{\"a\":1}", "{\"partial"]);
    }

    [Fact]
    public void The_usage_chunk_is_dropped_only_when_the_client_did_not_ask_for_it()
    {
        var usage = Event("""{"id":"x","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3}}""");
        foreach (var wants in new[] { true, false })
        {
            var relay = new OpenAIPassthroughRelay(wants);
            var output = new SseOutput();
            relay.OnEvent(usage, output);
            output.IsEmpty.ShouldBe(!wants);
            (relay.Usage.Input, relay.Usage.Output).ShouldBe((7L, 3L));
        }
    }

    [Fact]
    public void An_openai_stream_becomes_anthropic_events_in_order()
    {
        var relay = new OpenAIToAnthropicStream("alias", "msg_1");
        var output = new SseOutput();
        foreach (var data in new[]
        {
            """{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}""",
            """{"choices":[{"index":0,"delta":{"content":"Hi"}}]}""",
            """{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","function":{"name":"f","arguments":"{\"a\""}}]}}]}""",
            """{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]}}]}""",
            """{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}""",
            """{"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":4,"prompt_tokens_details":{"cached_tokens":2}}}""",
            "[DONE]",
        })
        {
            relay.OnEvent(Event(data), output);
        }

        var events = Encoding.UTF8.GetString(output.Written.Span).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        events.Select(e => e.Split('\n')[0]).ShouldBe([
            "event: message_start", "event: content_block_start", "event: content_block_delta", "event: content_block_stop",
            "event: content_block_start", "event: content_block_delta", "event: content_block_delta", "event: content_block_stop",
            "event: message_delta", "event: message_stop",
        ]);
        var delta = JsonNode.Parse(events[8].Split("data: ")[1])!;
        delta["delta"]!["stop_reason"]!.GetValue<string>().ShouldBe("tool_use");
        delta["usage"]!["input_tokens"]!.GetValue<long>().ShouldBe(8);
        delta["usage"]!["cache_read_input_tokens"]!.GetValue<long>().ShouldBe(2);
        relay.Completed.ShouldBeTrue();
    }

    static SseEvent Event(string data)
    {
        var raw = Encoding.UTF8.GetBytes($"data: {data}\n\n");
        return new SseEvent(raw, null, raw.AsMemory(6, raw.Length - 8));
    }

    sealed class TrickleStream(byte[] data, int chunk) : Stream
    {
        int _position;
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, chunk), data.Length - _position);
            Array.Copy(data, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

public class TranslationTests
{
    [Fact]
    public void An_openai_request_becomes_an_anthropic_one()
    {
        var openai = JsonNode.Parse("""
            {"model":"alias","temperature":1.5,"stop":"END","user":"u1","max_completion_tokens":99,
             "response_format":{"type":"json_object"},
             "messages":[
               {"role":"system","content":"Be brief."},
               {"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,QUJD"}}]},
               {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}}]},
               {"role":"tool","tool_call_id":"c1","content":"42"},
               {"role":"user","content":"thanks"}],
             "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],
             "tool_choice":"required","parallel_tool_calls":false}
            """)!.AsObject();

        var anthropic = AnthropicForOpenAIClients.Request(openai, "claude-x", 4096);

        anthropic["model"]!.GetValue<string>().ShouldBe("claude-x");
        anthropic["max_tokens"]!.GetValue<long>().ShouldBe(99);
        anthropic["temperature"]!.GetValue<double>().ShouldBe(1.0);
        anthropic["system"]!.GetValue<string>().ShouldBe($"Be brief.\n\n{AnthropicForOpenAIClients.JsonModeInstruction}");
        anthropic["stop_sequences"]![0]!.GetValue<string>().ShouldBe("END");
        anthropic["metadata"]!["user_id"]!.GetValue<string>().ShouldBe("u1");
        anthropic["tool_choice"]!.ToJsonString().ShouldBe("""{"type":"any","disable_parallel_tool_use":true}""");
        var messages = anthropic["messages"]!.AsArray();
        messages.Select(m => m!["role"]!.GetValue<string>()).ShouldBe(["user", "assistant", "user"]);
        messages[0]!["content"]![1]!["source"]!.ToJsonString().ShouldBe("""{"type":"base64","media_type":"image/jpeg","data":"QUJD"}""");
        messages[1]!["content"]![0]!["input"]!["x"]!.GetValue<int>().ShouldBe(1);
        messages[2]!["content"]!.AsArray().Select(b => b!["type"]!.GetValue<string>()).ShouldBe(["tool_result", "text"]);
    }

    [Fact]
    public void An_anthropic_request_becomes_an_openai_one()
    {
        var anthropic = JsonNode.Parse("""
            {"model":"alias","max_tokens":50,"stream":true,"system":[{"type":"text","text":"Be brief."}],
             "metadata":{"user_id":"u2"},
             "messages":[
               {"role":"user","content":[{"type":"text","text":"Look"},{"type":"image","source":{"type":"url","url":"https://x/y.png"}}]},
               {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{"x":1}}]},
               {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"42"}]}]}],
             "tools":[{"name":"f","input_schema":{"type":"object"}}],
             "tool_choice":{"type":"tool","name":"f"}}
            """)!.AsObject();

        var openai = OpenAIForAnthropicClients.Request(anthropic, "gpt-x");

        openai["stream_options"]!["include_usage"]!.GetValue<bool>().ShouldBeTrue();
        openai["user"]!.GetValue<string>().ShouldBe("u2");
        openai["tool_choice"]!["function"]!["name"]!.GetValue<string>().ShouldBe("f");
        var messages = openai["messages"]!.AsArray();
        messages.Select(m => m!["role"]!.GetValue<string>()).ShouldBe(["system", "user", "assistant", "tool"]);
        messages[1]!["content"]![1]!["image_url"]!["url"]!.GetValue<string>().ShouldBe("https://x/y.png");
        messages[2]!["tool_calls"]![0]!["function"]!["arguments"]!.GetValue<string>().ShouldBe("""{"x":1}""");
        messages[3]!["content"]!.GetValue<string>().ShouldBe("42");
    }

    [Fact]
    public void An_anthropic_answer_becomes_an_openai_completion()
    {
        using var message = JsonDocument.Parse("""
            {"id":"msg_1","content":[{"type":"text","text":"Hi"},{"type":"tool_use","id":"t1","name":"f","input":{"x":1}}],
             "stop_reason":"max_tokens","usage":{"input_tokens":5,"cache_read_input_tokens":3,"output_tokens":2}}
            """);
        var completion = AnthropicForOpenAIClients.Response(message.RootElement, "alias", 123, out var usage);

        completion["choices"]![0]!["finish_reason"]!.GetValue<string>().ShouldBe("length");
        completion["choices"]![0]!["message"]!["tool_calls"]![0]!["function"]!["arguments"]!.GetValue<string>().ShouldBe("""{"x":1}""");
        completion["usage"]!["prompt_tokens"]!.GetValue<long>().ShouldBe(8);
        (usage.Input, usage.CachedInput, usage.Output).ShouldBe((8L, 3L, 2L));
    }
}

public class GatewayCallTests
{
    [Fact]
    public void A_call_that_never_reached_a_provider_is_not_billed()
    {
        var key = new Tollgate.ApiKeys.ApiKeyEntry("key_1", Tollgate.ApiKeys.KeyKind.Customer, Tollgate.ApiKeys.KeyMode.Live, "cus_1", [], null, null);
        var call = new GatewayCall("req_1", new GatewayCaller(key, null), "chat.completions", "gpt-test", 0, DateTimeOffset.UnixEpoch);

        var record = call.ToRecord(TimeProvider.System) with { CustomerId = "cus_1" };

        record.Status.ShouldBe(Tollgate.Metering.UsageStatus.NotRun);
    }
}

public class OutboundAddressTests
{
    [Theory]
    [InlineData("8.8.8.8", AddressKind.Public)]
    [InlineData("2606:4700:4700::1111", AddressKind.Public)]
    [InlineData("127.0.0.1", AddressKind.Private)]
    [InlineData("127.255.0.9", AddressKind.Private)]
    [InlineData("10.1.2.3", AddressKind.Private)]
    [InlineData("172.31.255.255", AddressKind.Private)]
    [InlineData("172.32.0.1", AddressKind.Public)]
    [InlineData("192.168.1.1", AddressKind.Private)]
    [InlineData("100.64.0.1", AddressKind.Private)] // CGNAT
    [InlineData("100.128.0.1", AddressKind.Public)]
    [InlineData("198.18.0.1", AddressKind.Private)]
    [InlineData("0.0.0.0", AddressKind.Forbidden)]
    [InlineData("0.1.2.3", AddressKind.Forbidden)]
    [InlineData("169.254.169.254", AddressKind.Forbidden)] // cloud metadata
    [InlineData("224.0.0.1", AddressKind.Forbidden)]
    [InlineData("255.255.255.255", AddressKind.Forbidden)]
    [InlineData("240.0.0.1", AddressKind.Forbidden)]
    [InlineData("192.0.2.7", AddressKind.Forbidden)]
    [InlineData("::", AddressKind.Forbidden)]
    [InlineData("::1", AddressKind.Private)]
    [InlineData("fe80::1", AddressKind.Forbidden)]
    [InlineData("fd00:ec2::254", AddressKind.Private)] // unique local (AWS's IPv6 metadata): refused unless private networks are allowed
    [InlineData("fc00::1", AddressKind.Private)]
    [InlineData("ff02::1", AddressKind.Forbidden)]
    [InlineData("::ffff:127.0.0.1", AddressKind.Private)] // IPv4-mapped
    [InlineData("::ffff:169.254.169.254", AddressKind.Forbidden)]
    [InlineData("::ffff:8.8.8.8", AddressKind.Public)]
    [InlineData("64:ff9b::a9fe:a9fe", AddressKind.Forbidden)] // NAT64 of 169.254.169.254
    [InlineData("64:ff9b::808:808", AddressKind.Public)] // NAT64 of 8.8.8.8
    [InlineData("64:ff9b:1::1", AddressKind.Private)]
    [InlineData("2002:7f00:1::", AddressKind.Private)] // 6to4 of 127.0.0.1
    [InlineData("2001:db8::1", AddressKind.Forbidden)]
    [InlineData("::127.0.0.1", AddressKind.Forbidden)] // IPv4-compatible, deprecated
    public void Every_non_public_range_is_recognised_including_wrapped_ipv4(string address, AddressKind kind) =>
        AddressRanges.Classify(System.Net.IPAddress.Parse(address)).ShouldBe(kind);

    [Theory]
    [InlineData("https://api.openai.com/v1", false, null)]
    [InlineData("http://localhost:11434/v1", false, "private")]
    [InlineData("http://localhost:11434/v1", true, null)]
    [InlineData("http://10.0.0.5:8000/v1", false, "private")]
    [InlineData("http://[::ffff:10.0.0.5]:8000/v1", false, "private")]
    [InlineData("http://169.254.169.254/latest", true, "link-local")]
    [InlineData("http://[fe80::1]/", true, "link-local")]
    [InlineData("ftp://example.com", true, "http")]
    [InlineData("https://user:pass@example.com/v1", true, "credentials")]
    [InlineData("not a url", true, "absolute")]
    public void Provider_urls_are_checked_before_anything_is_sent(string url, bool allowPrivate, string? problem)
    {
        var result = OutboundUrl.Check(url, new OutboundPolicy(allowPrivate));
        if (problem is null) result.ShouldBeNull();
        else result.ShouldNotBeNull().ShouldContain(problem);
    }
}

public class TokenCounterTests
{
    static readonly Microsoft.ML.Tokenizers.Tokenizer O200k = Microsoft.ML.Tokenizers.TiktokenTokenizer.CreateForEncoding("o200k_base");

    static Tollgate.Gateway.Routing.Deployment Deployment(string model, string? priceAs = null) =>
        new(Tollgate.Gateway.Routing.UpstreamProvider.Sandbox, model, 1, priceAs);

    [Theory]
    [InlineData("gpt-4o-mini", "o200k_base")]
    [InlineData("openai/gpt-4.1", "o200k_base")]
    [InlineData("o3-mini", "o200k_base")]
    [InlineData("gpt-4-turbo", "cl100k_base")]
    [InlineData("text-embedding-3-small", "cl100k_base")]
    [InlineData("claude-sonnet-4", null)]
    [InlineData("llama3.1:8b", null)]
    public void Each_model_gets_its_own_tokenizer_or_none(string model, string? encoding)
    {
        var tokenizer = Tollgate.Gateway.Tokens.TokenCounter.For(model);
        if (encoding is null) tokenizer.ShouldBeNull();
        else tokenizer.ShouldNotBeNull().ShouldBeSameAs(Tollgate.Gateway.Tokens.TokenCounter.For(encoding == "o200k_base" ? "gpt-4o" : "gpt-4"));
    }

    [Fact]
    public void A_self_hosted_model_priced_as_an_openai_one_is_counted_with_its_tokenizer() =>
        Tollgate.Gateway.Tokens.TokenCounter.For(Deployment("my-finetune", priceAs: "gpt-4o")).ShouldNotBeNull();

    [Fact]
    public void The_prompt_is_counted_by_the_tokenizer_with_openais_message_overhead()
    {
        var body = JsonNode.Parse("""{"model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hello there"}]}]}""")!.AsObject();
        var request = new GatewayRequest(GatewayOperation.ChatCompletions, GatewayProtocol.OpenAI, body, "gpt-4o", false, false, null, 400);

        var tokens = Tollgate.Gateway.Tokens.TokenCounter.Prompt(request, Tollgate.Gateway.Tokens.TokenEncoding.O200kBase);

        tokens.ShouldBe(new[] { "system", "Be brief.", "user", "text", "Hello there" }.Sum(s => O200k.CountTokens(s)) + 3 * 2 + 3);
        Tollgate.Gateway.Tokens.TokenCounter.Prompt(request, null).ShouldBe(100); // no tokenizer: 400 bytes, four to a token
    }

    [Fact]
    public void A_reservation_takes_the_largest_count_among_the_deployments_it_may_be_served_by()
    {
        var body = JsonNode.Parse("""{"model":"m","messages":[{"role":"user","content":"Hi"}]}""")!.AsObject();
        var request = new GatewayRequest(GatewayOperation.ChatCompletions, GatewayProtocol.OpenAI, body, "m", false, false, null, 4000) { MaxOutputTokens = 10 };

        var tokenized = Tollgate.Gateway.Reservations.RequestEstimate.For(request, [Deployment("gpt-4o")], 4096, (_, _) => default);
        var mixed = Tollgate.Gateway.Reservations.RequestEstimate.For(request, [Deployment("gpt-4o"), Deployment("llama3")], 4096, (_, _) => default);

        tokenized.InputTokens.ShouldBe(O200k.CountTokens("user") + O200k.CountTokens("Hi") + 3 + 3);
        mixed.InputTokens.ShouldBe(1000); // the llama deployment has no tokenizer: the byte estimate, the larger
        Tollgate.Gateway.Reservations.RequestEstimate.For(request, [Deployment("gpt-4o")], 4096, (_, _) => default, tokenize: false)
            .InputTokens.ShouldBe(1000); // Gateway:Tokenizers off: the byte estimate for every model
    }
}

public class ResponseCacheTests
{
    sealed class Clock() : Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

    static ResponseCache Cache(Clock clock, int maxEntries, long maxBytes = 1L << 30) =>
        new(Microsoft.Extensions.Options.Options.Create(new GatewayOptions { Cache = new ResponseCacheOptions { MaxEntries = maxEntries, MaxBytes = maxBytes } }), clock);

    static ResponseCache.Entry Entry(Clock clock, int bytes = 10) =>
        new(new byte[bytes], "m", "p", default, default, (clock.GetUtcNow() + TimeSpan.FromMinutes(5)).UtcTicks);

    [Fact]
    public void A_full_cache_keeps_taking_answers_and_the_least_recently_used_make_room()
    {
        var clock = new Clock();
        var cache = Cache(clock, maxEntries: 100);
        for (var i = 0; i < 100; i++) cache.Put($"k{i}", Entry(clock));
        cache.Get("k0").ShouldNotBeNull(); // used again: the most recent now

        cache.Put("new", Entry(clock));

        cache.Get("new").ShouldNotBeNull();
        cache.Get("k0").ShouldNotBeNull();
        cache.Get("k1").ShouldBeNull(); // the least recently used made room, and only it
        cache.Count.ShouldBe(100);
    }

    [Fact]
    public void The_cache_is_bounded_by_bytes_not_only_by_entries()
    {
        var clock = new Clock();
        var cache = Cache(clock, maxEntries: 1_000_000, maxBytes: 10 * 1024);

        for (var i = 0; i < 20; i++) cache.Put($"big{i}", Entry(clock, bytes: 1024));

        cache.Count.ShouldBeLessThanOrEqualTo(10);
        cache.Get("big19").ShouldNotBeNull();
        cache.Put("huge", Entry(clock, bytes: 20 * 1024));
        cache.Get("huge").ShouldBeNull(); // larger than the whole cache
    }

    [Fact]
    public void An_answer_is_served_until_its_time_to_live_on_the_gateways_clock()
    {
        var clock = new Clock();
        var cache = Cache(clock, maxEntries: 10);
        cache.Put("k", Entry(clock));

        clock.Advance(TimeSpan.FromMinutes(4));
        cache.Get("k").ShouldNotBeNull();
        clock.Advance(TimeSpan.FromMinutes(2));
        cache.Get("k").ShouldBeNull();
    }
}

public class SandboxImageTests
{
    [Fact]
    public void A_sandbox_image_is_a_valid_png_with_correct_crcs_and_a_zlib_scanline()
    {
        var body = JsonNode.Parse("""{"model":"sandbox","prompt":"a cat","response_format":"b64_json"}""")!.AsObject();

        var png = Convert.FromBase64String(Tollgate.Gateway.Sandbox.SandboxModel.Images(body, 0)["data"]![0]!["b64_json"]!.GetValue<string>());

        png[..8].ShouldBe(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });
        png[^4..].ShouldBe(new byte[] { 0xAE, 0x42, 0x60, 0x82 }); // the CRC every PNG's empty IEND chunk carries
        var at = 8;
        byte[]? idat = null;
        while (at < png.Length)
        {
            var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            var typed = png.AsSpan(at + 4, 4 + length);
            var crc = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + length));
            crc.ShouldBe(System.IO.Hashing.Crc32.HashToUInt32(typed), Encoding.ASCII.GetString(typed[..4]));
            if (Encoding.ASCII.GetString(typed[..4]) == "IDAT") idat = typed[4..].ToArray();
            at += 12 + length;
        }

        using var zlib = new System.IO.Compression.ZLibStream(new MemoryStream(idat.ShouldNotBeNull()), System.IO.Compression.CompressionMode.Decompress);
        var scanline = new byte[16];
        var read = zlib.ReadAtLeast(scanline, 4, throwOnEndOfStream: false);
        (read, scanline[0]).ShouldBe((4, (byte)0)); // filter byte 0, then one RGB pixel
        scanline[1..4].ShouldBe(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("a cat#0"))[..3]);
    }
}
