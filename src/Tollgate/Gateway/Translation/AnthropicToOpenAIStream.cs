using System.Text.Json;
using System.Text.Json.Nodes;
using Tollgate.Gateway.Pricing;
using Tollgate.Gateway.Protocols;
using Tollgate.Gateway.Streaming;

namespace Tollgate.Gateway.Translation;

/// <summary>An Anthropic Messages stream retold as OpenAI <c>chat.completion.chunk</c> events, tool calls included.</summary>
public sealed class AnthropicToOpenAIStream(string model, long created, bool clientWantsUsage) : IStreamRelay
{
    string _id = "chatcmpl-tollgate";
    int _toolIndex = -1;
    readonly Dictionary<int, int> _toolIndexByBlock = [];
    string? _stopReason;

    public TokenUsage Usage { get; private set; }
    public bool UsageReported { get; private set; }
    public bool Completed { get; private set; }
    public DeliveredText Delivered { get; } = new();
    public string? UpstreamError { get; private set; }

    public void OnEvent(SseEvent upstream, SseOutput client)
    {
        if (upstream.Name is "ping" or null) return;
        if (upstream.Name == "error")
        {
            UpstreamError = AnthropicPassthroughRelay.ErrorMessage(upstream.Data.Span);
            client.WriteError(GatewayError.StreamError(UpstreamError), GatewayProtocol.OpenAI);
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
            var data = doc.RootElement;
            switch (upstream.Name)
            {
                case "message_start":
                    var message = data.GetProperty("message");
                    if (message.TryGetProperty("id", out var id)) _id = "chatcmpl-" + id.GetString();
                    if (message.TryGetProperty("usage", out var startUsage)) Track(startUsage);
                    client.Write(null, Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "" }, null));
                    break;
                case "content_block_start":
                    var block = data.GetProperty("content_block");
                    if (block.GetProperty("type").GetString() == "tool_use")
                    {
                        _toolIndex++;
                        _toolIndexByBlock[data.GetProperty("index").GetInt32()] = _toolIndex;
                        client.Write(null, Chunk(new JsonObject
                        {
                            ["tool_calls"] = new JsonArray(new JsonObject
                            {
                                ["index"] = _toolIndex,
                                ["id"] = block.GetProperty("id").GetString(),
                                ["type"] = "function",
                                ["function"] = new JsonObject { ["name"] = block.GetProperty("name").GetString(), ["arguments"] = "" },
                            }),
                        }, null));
                    }

                    break;
                case "content_block_delta":
                    var delta = data.GetProperty("delta");
                    var deltaType = delta.GetProperty("type").GetString();
                    if (deltaType == "text_delta")
                    {
                        var text = delta.GetProperty("text").GetString();
                        Delivered.Add(text);
                        client.Write(null, Chunk(new JsonObject { ["content"] = text }, null));
                    }
                    else if (deltaType == "input_json_delta" && _toolIndexByBlock.TryGetValue(data.GetProperty("index").GetInt32(), out var toolIndex))
                    {
                        Delivered.Add(delta.GetProperty("partial_json").GetString());
                        client.Write(null, Chunk(new JsonObject
                        {
                            ["tool_calls"] = new JsonArray(new JsonObject
                            {
                                ["index"] = toolIndex,
                                ["function"] = new JsonObject { ["arguments"] = delta.GetProperty("partial_json").GetString() },
                            }),
                        }, null));
                    }

                    break;
                case "message_delta":
                    if (data.TryGetProperty("delta", out var messageDelta) && messageDelta.TryGetProperty("stop_reason", out var stop) && stop.ValueKind == JsonValueKind.String)
                    {
                        _stopReason = stop.GetString();
                    }

                    if (data.TryGetProperty("usage", out var deltaUsage)) Track(deltaUsage);
                    client.Write(null, Chunk(new JsonObject(), AnthropicForOpenAIClients.FinishReason(_stopReason)));
                    break;
                case "message_stop":
                    Completed = true;
                    if (clientWantsUsage)
                    {
                        var final = Chunk(null, null);
                        final["usage"] = AnthropicForOpenAIClients.OpenAIUsage(Usage);
                        client.Write(null, final);
                    }

                    client.WriteDone();
                    break;
            }
        }
    }

    void Track(JsonElement usage)
    {
        Usage = UsageReader.FromAnthropic(usage, Usage);
        UsageReported = true;
    }

    JsonObject Chunk(JsonObject? delta, string? finishReason)
    {
        var chunk = new JsonObject
        {
            ["id"] = _id,
            ["object"] = "chat.completion.chunk",
            ["created"] = created,
            ["model"] = model,
            ["choices"] = delta is null
                ? new JsonArray()
                : new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["logprobs"] = null, ["finish_reason"] = finishReason }),
        };
        if (clientWantsUsage) chunk["usage"] = null;
        return chunk;
    }

    public void OnEnd(SseOutput client)
    {
        if (!Completed && UpstreamError is null) client.WriteError(GatewayError.StreamIncomplete(), GatewayProtocol.OpenAI);
    }
}
