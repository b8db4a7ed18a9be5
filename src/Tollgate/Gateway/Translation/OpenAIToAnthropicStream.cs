using System.Text.Json;
using System.Text.Json.Nodes;
using Tollgate.Gateway.Pricing;
using Tollgate.Gateway.Protocols;
using Tollgate.Gateway.Streaming;

namespace Tollgate.Gateway.Translation;

/// <summary>
/// An OpenAI chat completion stream retold as Anthropic Messages events: <c>message_start</c>, one content block per
/// text run or tool call, <c>message_delta</c> with the stop reason and usage, <c>message_stop</c>.
/// OpenAI reports usage in its last chunk, so <c>message_start</c> carries zero tokens and <c>message_delta</c> the real counts.
/// </summary>
public sealed class OpenAIToAnthropicStream(string model, string messageId) : IStreamRelay
{
    bool _started;
    int _blockIndex = -1;
    string? _openBlock;
    readonly Dictionary<int, int> _blockByToolIndex = [];
    string? _finishReason;
    bool _finished;

    public TokenUsage Usage { get; private set; }
    public bool UsageReported { get; private set; }
    public bool Completed { get; private set; }
    public DeliveredText Delivered { get; } = new();
    public string? UpstreamError { get; private set; }

    public void OnEvent(SseEvent upstream, SseOutput client)
    {
        if (upstream.IsDone)
        {
            Completed = true;
            Finish(client);
            return;
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(upstream.Data);
        }
        catch (JsonException)
        {
            return;
        }

        using (doc)
        {
            var chunk = doc.RootElement;
            if (chunk.ValueKind != JsonValueKind.Object) return;
            if (chunk.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                UpstreamError = error.TryGetProperty("message", out var m) ? m.ToString() : "upstream error";
                client.WriteError(GatewayError.StreamError(UpstreamError), GatewayProtocol.Anthropic);
                return;
            }

            Start(client);
            if (chunk.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                Usage = UsageReader.FromOpenAI(usage);
                UsageReported = true;
            }

            if (!chunk.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0) return;
            var choice = choices[0];
            if (choice.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object)
            {
                if (delta.TryGetProperty("content", out var text) && text.ValueKind == JsonValueKind.String && text.GetString() is { Length: > 0 } content)
                {
                    Delivered.Add(content);
                    Open(client, "text", null);
                    client.Write("content_block_delta", new JsonObject
                    {
                        ["type"] = "content_block_delta",
                        ["index"] = _blockIndex,
                        ["delta"] = new JsonObject { ["type"] = "text_delta", ["text"] = content },
                    });
                }

                if (delta.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
                {
                    foreach (var call in calls.EnumerateArray()) Tool(call, client);
                }
            }

            if (choice.TryGetProperty("finish_reason", out var finish) && finish.ValueKind == JsonValueKind.String) _finishReason = finish.GetString();
        }
    }

    void Tool(JsonElement call, SseOutput client)
    {
        var toolIndex = call.TryGetProperty("index", out var i) ? i.GetInt32() : 0;
        var function = call.TryGetProperty("function", out var f) ? f : default;
        if (!_blockByToolIndex.TryGetValue(toolIndex, out var block))
        {
            Close(client);
            _blockIndex++;
            _openBlock = "tool_use";
            _blockByToolIndex[toolIndex] = _blockIndex;
            block = _blockIndex;
            client.Write("content_block_start", new JsonObject
            {
                ["type"] = "content_block_start",
                ["index"] = _blockIndex,
                ["content_block"] = new JsonObject
                {
                    ["type"] = "tool_use",
                    ["id"] = call.TryGetProperty("id", out var id) ? id.GetString() : $"toolu_{toolIndex}",
                    ["name"] = function.ValueKind == JsonValueKind.Object && function.TryGetProperty("name", out var n) ? n.GetString() : "",
                    ["input"] = new JsonObject(),
                },
            });
        }

        if (function.ValueKind == JsonValueKind.Object && function.TryGetProperty("arguments", out var args) && args.GetString() is { Length: > 0 } partial)
        {
            Delivered.Add(partial);
            client.Write("content_block_delta", new JsonObject
            {
                ["type"] = "content_block_delta",
                ["index"] = block,
                ["delta"] = new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = partial },
            });
        }
    }

    void Start(SseOutput client)
    {
        if (_started) return;
        _started = true;
        client.Write("message_start", new JsonObject
        {
            ["type"] = "message_start",
            ["message"] = new JsonObject
            {
                ["id"] = messageId,
                ["type"] = "message",
                ["role"] = "assistant",
                ["model"] = model,
                ["content"] = new JsonArray(),
                ["stop_reason"] = null,
                ["stop_sequence"] = null,
                ["usage"] = new JsonObject { ["input_tokens"] = 0, ["output_tokens"] = 0 },
            },
        });
    }

    void Open(SseOutput client, string type, JsonObject? block)
    {
        if (_openBlock == type && type == "text") return;
        Close(client);
        _blockIndex++;
        _openBlock = type;
        client.Write("content_block_start", new JsonObject
        {
            ["type"] = "content_block_start",
            ["index"] = _blockIndex,
            ["content_block"] = block ?? new JsonObject { ["type"] = "text", ["text"] = "" },
        });
    }

    void Close(SseOutput client)
    {
        if (_openBlock is null) return;
        client.Write("content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = _blockIndex });
        _openBlock = null;
    }

    void Finish(SseOutput client)
    {
        if (_finished) return;
        _finished = true;
        Start(client);
        Close(client);
        client.Write("message_delta", new JsonObject
        {
            ["type"] = "message_delta",
            ["delta"] = new JsonObject { ["stop_reason"] = OpenAIForAnthropicClients.StopReason(_finishReason), ["stop_sequence"] = null },
            ["usage"] = OpenAIForAnthropicClients.AnthropicUsage(Usage),
        });
        client.Write("message_stop", new JsonObject { ["type"] = "message_stop" });
    }

    public void OnEnd(SseOutput client)
    {
        if (!Completed && UpstreamError is null) client.WriteError(GatewayError.StreamIncomplete(), GatewayProtocol.Anthropic);
    }
}
