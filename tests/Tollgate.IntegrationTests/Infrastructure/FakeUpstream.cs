using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Tollgate.IntegrationTests.Infrastructure;

/// <summary>
/// A model provider on a loopback port speaking OpenAI's (<c>/v1/…</c>) and Anthropic's (<c>/anthropic/v1/messages</c>)
/// documented wire formats, SSE included. The model name picks the behaviour: a normal answer, a 500, a 429, a hang,
/// malformed JSON, a stream cut off, or a stream held at a gate until the test releases it.
/// </summary>
public sealed class FakeUpstream : IAsyncDisposable
{
    public const string OpenAIKey = "sk-fake-openai";
    public const string AnthropicKey = "sk-ant-fake";

    // What every OpenAI answer reports: 120 prompt tokens (20 cached), 45 completion tokens (5 of them reasoning).
    public const int PromptTokens = 120, CachedTokens = 20, CompletionTokens = 45, ReasoningTokens = 5;

    // What every Anthropic answer reports: 100 uncached input, 30 read from cache, 10 written to it, 40 output.
    public const int ClaudeInput = 100, ClaudeCacheRead = 30, ClaudeCacheWrite = 10, ClaudeOutput = 40;

    readonly WebApplication _app;
    TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public sealed record Seen(string Path, string Model, JsonObject Body, Dictionary<string, string> Headers);

    public ConcurrentQueue<Seen> Requests { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    FakeUpstream(WebApplication app) => _app = app;

    public static async Task<FakeUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeUpstream(app);
        app.MapPost("/v1/chat/completions", fake.ChatAsync);
        app.MapPost("/v1/embeddings", fake.EmbeddingsAsync);
        app.MapPost("/v1/images/generations", fake.ImagesAsync);
        app.MapPost("/anthropic/v1/messages", fake.MessagesAsync);
        await app.StartAsync();
        fake.BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return fake;
    }

    /// <summary>Lets a <c>held-stream</c> answer go on past its first chunk.</summary>
    public void Release() => _gate.TrySetResult();

    public void ResetGate() => _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The requests that carried this end user (tests tag their requests with a unique one).</summary>
    public IReadOnlyList<Seen> For(string endUser) =>
        Requests.Where(r => (r.Body["user"]?.GetValue<string>() ?? r.Body["metadata"]?["user_id"]?.GetValue<string>()) == endUser).ToList();

    async Task<JsonObject> RecordAsync(HttpContext context)
    {
        var body = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
        var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        Requests.Enqueue(new Seen(context.Request.Path, body["model"]?.GetValue<string>() ?? "", body, headers));
        return body;
    }

    async Task ChatAsync(HttpContext context)
    {
        var body = await RecordAsync(context);
        if (context.Request.Headers.Authorization != $"Bearer {OpenAIKey}")
        {
            await Error(context, 401, """{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}""");
            return;
        }

        var model = body["model"]!.GetValue<string>();
        switch (model)
        {
            case "fail-500":
                await Error(context, 500, """{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}""");
                return;
            case "fail-429":
                context.Response.Headers.RetryAfter = "7";
                await Error(context, 429, """{"error":{"message":"Rate limit reached for fake-gpt.","type":"requests","param":null,"code":"rate_limit_exceeded"}}""");
                return;
            case "hang":
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
                return;
            case "bad-json":
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("""{"id":"chatcmpl-broken","choices":[{"index":0,""");
                return;
            case "huge": // 2.5 MB, chunked (no Content-Length), past the test servers' Gateway:MaxResponseBytes of 1 MB
                var stream = body["stream"]?.GetValue<bool>() == true;
                context.Response.ContentType = stream ? "text/event-stream" : "application/json";
                var filler = new string('x', 64 * 1024);
                try
                {
                    for (var i = 0; i < 40; i++) await context.Response.WriteAsync(stream ? $"data: {{\"pad\":\"{filler}\"}}\n\n" : filler, context.RequestAborted);
                }
                catch (Exception e) when (e is OperationCanceledException or IOException)
                {
                    // the gateway stopped reading, as it should
                }

                return;
        }

        var tool = body["tools"]?[0]?["function"]?["name"]?.GetValue<string>();
        var json = body["response_format"]?["type"]?.GetValue<string>() == "json_object";
        var text = json ? """{"greeting":"hello"}""" : "Hello from fake-gpt";
        if (body["stream"]?.GetValue<bool>() != true)
        {
            var message = new JsonObject { ["role"] = "assistant", ["content"] = tool is null ? text : null };
            if (tool is not null)
            {
                message["tool_calls"] = new JsonArray(new JsonObject
                {
                    ["id"] = "call_fake1", ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = tool, ["arguments"] = """{"city":"Paris"}""" },
                });
            }

            await Json(context, new JsonObject
            {
                ["id"] = "chatcmpl-fake", ["object"] = "chat.completion", ["created"] = 1_700_000_000, ["model"] = model,
                ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["logprobs"] = null, ["finish_reason"] = tool is null ? "stop" : "tool_calls" }),
                ["usage"] = OpenAIUsage(),
            });
            return;
        }

        context.Response.ContentType = "text/event-stream";
        var includeUsage = body["stream_options"]?["include_usage"]?.GetValue<bool>() == true;
        JsonObject Chunk(JsonObject? delta, string? finish)
        {
            var chunk = new JsonObject
            {
                ["id"] = "chatcmpl-fake", ["object"] = "chat.completion.chunk", ["created"] = 1_700_000_000, ["model"] = model,
                ["choices"] = delta is null ? new JsonArray() : new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish }),
            };
            if (includeUsage) chunk["usage"] = null;
            return chunk;
        }

        await Send(context, Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "" }, null));
        if (model == "held-stream") await _gate.Task.WaitAsync(TimeSpan.FromSeconds(30));
        if (tool is not null)
        {
            await Send(context, Chunk(new JsonObject { ["tool_calls"] = new JsonArray(new JsonObject { ["index"] = 0, ["id"] = "call_fake1", ["type"] = "function", ["function"] = new JsonObject { ["name"] = tool, ["arguments"] = "" } }) }, null));
            await Send(context, Chunk(new JsonObject { ["tool_calls"] = new JsonArray(new JsonObject { ["index"] = 0, ["function"] = new JsonObject { ["arguments"] = """{"city":""" } }) }, null));
            await Send(context, Chunk(new JsonObject { ["tool_calls"] = new JsonArray(new JsonObject { ["index"] = 0, ["function"] = new JsonObject { ["arguments"] = "\"Paris\"}" } }) }, null));
        }
        else
        {
            // A held stream goes on long enough after its gate that writing it to a client who has left must fail.
            var pieces = model == "held-stream" ? Enumerable.Repeat(" more", 2000) : ["Hello", " from", " fake-gpt"];
            foreach (var piece in pieces) await Send(context, Chunk(new JsonObject { ["content"] = piece }, null));
        }

        if (model == "cut-stream") return;
        await Send(context, Chunk(new JsonObject(), tool is null ? "stop" : "tool_calls"));
        if (includeUsage)
        {
            var usage = Chunk(null, null);
            usage["usage"] = OpenAIUsage();
            await Send(context, usage);
        }

        await context.Response.WriteAsync("data: [DONE]\n\n");
    }

    async Task EmbeddingsAsync(HttpContext context)
    {
        var body = await RecordAsync(context);
        var count = body["input"] is JsonArray inputs ? inputs.Count : 1;
        var data = new JsonArray();
        for (var i = 0; i < count; i++) data.Add(new JsonObject { ["object"] = "embedding", ["index"] = i, ["embedding"] = new JsonArray(0.25, 0.5, -0.75) });
        await Json(context, new JsonObject { ["object"] = "list", ["data"] = data, ["model"] = body["model"]!.DeepClone(), ["usage"] = new JsonObject { ["prompt_tokens"] = 8 * count, ["total_tokens"] = 8 * count } });
    }

    async Task ImagesAsync(HttpContext context)
    {
        var body = await RecordAsync(context);
        var data = new JsonArray();
        for (var i = 0; i < (body["n"]?.GetValue<int>() ?? 1); i++) data.Add(new JsonObject { ["url"] = $"https://images.example/{i}.png", ["revised_prompt"] = "a cat" });
        await Json(context, new JsonObject { ["created"] = 1_700_000_000, ["data"] = data });
    }

    async Task MessagesAsync(HttpContext context)
    {
        var body = await RecordAsync(context);
        if (context.Request.Headers["x-api-key"] != AnthropicKey)
        {
            await Error(context, 401, """{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}""");
            return;
        }

        var model = body["model"]!.GetValue<string>();
        var tool = body["tools"]?[0]?["name"]?.GetValue<string>();
        var usage = new JsonObject { ["input_tokens"] = ClaudeInput, ["cache_creation_input_tokens"] = ClaudeCacheWrite, ["cache_read_input_tokens"] = ClaudeCacheRead, ["output_tokens"] = ClaudeOutput };
        if (body["stream"]?.GetValue<bool>() != true)
        {
            JsonNode block = tool is null
                ? new JsonObject { ["type"] = "text", ["text"] = "Hello from fake-claude" }
                : new JsonObject { ["type"] = "tool_use", ["id"] = "toolu_fake1", ["name"] = tool, ["input"] = new JsonObject { ["city"] = "Paris" } };
            await Json(context, new JsonObject
            {
                ["id"] = "msg_fake", ["type"] = "message", ["role"] = "assistant", ["model"] = model,
                ["content"] = new JsonArray(block), ["stop_reason"] = tool is null ? "end_turn" : "tool_use", ["stop_sequence"] = null, ["usage"] = usage,
            });
            return;
        }

        context.Response.ContentType = "text/event-stream";
        var start = usage.DeepClone().AsObject();
        start["output_tokens"] = 1;
        await Event(context, "message_start", new JsonObject
        {
            ["type"] = "message_start",
            ["message"] = new JsonObject { ["id"] = "msg_fake", ["type"] = "message", ["role"] = "assistant", ["model"] = model, ["content"] = new JsonArray(), ["stop_reason"] = null, ["stop_sequence"] = null, ["usage"] = start },
        });
        await Event(context, "ping", new JsonObject { ["type"] = "ping" });
        if (tool is null)
        {
            await Event(context, "content_block_start", new JsonObject { ["type"] = "content_block_start", ["index"] = 0, ["content_block"] = new JsonObject { ["type"] = "text", ["text"] = "" } });
            foreach (var piece in new[] { "Hello", " from", " fake-claude" })
            {
                await Event(context, "content_block_delta", new JsonObject { ["type"] = "content_block_delta", ["index"] = 0, ["delta"] = new JsonObject { ["type"] = "text_delta", ["text"] = piece } });
            }
        }
        else
        {
            await Event(context, "content_block_start", new JsonObject { ["type"] = "content_block_start", ["index"] = 0, ["content_block"] = new JsonObject { ["type"] = "tool_use", ["id"] = "toolu_fake1", ["name"] = tool, ["input"] = new JsonObject() } });
            foreach (var piece in new[] { """{"city":""", "\"Paris\"}" })
            {
                await Event(context, "content_block_delta", new JsonObject { ["type"] = "content_block_delta", ["index"] = 0, ["delta"] = new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = piece } });
            }
        }

        await Event(context, "content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = 0 });
        await Event(context, "message_delta", new JsonObject
        {
            ["type"] = "message_delta",
            ["delta"] = new JsonObject { ["stop_reason"] = tool is null ? "end_turn" : "tool_use", ["stop_sequence"] = null },
            ["usage"] = new JsonObject { ["output_tokens"] = ClaudeOutput },
        });
        await Event(context, "message_stop", new JsonObject { ["type"] = "message_stop" });
    }

    static JsonObject OpenAIUsage() => new()
    {
        ["prompt_tokens"] = PromptTokens, ["completion_tokens"] = CompletionTokens, ["total_tokens"] = PromptTokens + CompletionTokens,
        ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = CachedTokens },
        ["completion_tokens_details"] = new JsonObject { ["reasoning_tokens"] = ReasoningTokens },
    };

    static async Task Json(HttpContext context, JsonNode body)
    {
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString());
    }

    static async Task Error(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body);
    }

    static async Task Send(HttpContext context, JsonNode chunk)
    {
        await context.Response.WriteAsync($"data: {chunk.ToJsonString()}\n\n", Encoding.UTF8);
        await context.Response.Body.FlushAsync();
    }

    static async Task Event(HttpContext context, string name, JsonNode data)
    {
        await context.Response.WriteAsync($"event: {name}\ndata: {data.ToJsonString()}\n\n", Encoding.UTF8);
        await context.Response.Body.FlushAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
