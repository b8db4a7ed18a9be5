using System.Text.Json;
using System.Text.Json.Nodes;
using Tollgate.Gateway.Pricing;

namespace Tollgate.Gateway.Translation;

/// <summary>
/// Serves an OpenAI chat completion request with an Anthropic model: the request rewritten into a Messages request,
/// the answer rewritten back. JSON mode has no Anthropic equivalent; it becomes an instruction in the system prompt.
/// </summary>
public static class AnthropicForOpenAIClients
{
    public const string JsonModeInstruction = "Respond with a single valid JSON object and nothing else.";

    public static JsonObject Request(JsonObject openai, string model, int defaultMaxTokens)
    {
        var system = new List<string>();
        var messages = new JsonArray();
        foreach (var node in openai["messages"] as JsonArray ?? [])
        {
            if (node is not JsonObject message) continue;
            switch (Json.Str(message["role"]))
            {
                case "system" or "developer":
                    system.Add(Json.TextOf(message["content"]));
                    break;
                case "assistant":
                    Append(messages, "assistant", AssistantBlocks(message));
                    break;
                case "tool" or "function":
                    Append(messages, "user", [new JsonObject
                    {
                        ["type"] = "tool_result",
                        ["tool_use_id"] = Json.Str(message["tool_call_id"]) ?? Json.Str(message["name"]) ?? "",
                        ["content"] = Json.TextOf(message["content"]),
                    }]);
                    break;
                default:
                    Append(messages, "user", UserBlocks(message["content"]));
                    break;
            }
        }

        var format = Json.Str(openai["response_format"]?["type"]);
        if (format is "json_object" or "json_schema") system.Add(JsonModeInstruction);

        var request = new JsonObject
        {
            ["model"] = model,
            ["max_tokens"] = Json.Long(openai["max_completion_tokens"]) ?? Json.Long(openai["max_tokens"]) ?? defaultMaxTokens,
            ["messages"] = messages,
        };
        if (system.Count > 0) request["system"] = string.Join("\n\n", system.Where(s => s.Length > 0));
        if (openai["temperature"] is { } temperature && temperature.GetValueKind() == JsonValueKind.Number)
        {
            request["temperature"] = Math.Min(1.0, temperature.GetValue<double>());
        }

        if (Json.Copy(openai["top_p"]) is { } topP) request["top_p"] = topP;
        if (openai["stop"] is { } stop) request["stop_sequences"] = stop is JsonArray ? stop.DeepClone() : new JsonArray(Json.Str(stop));
        if (Json.Str(openai["user"]) is { } user) request["metadata"] = new JsonObject { ["user_id"] = user };
        if (Json.Bool(openai["stream"]) == true) request["stream"] = true;

        if (openai["tools"] is JsonArray tools && tools.Count > 0)
        {
            var converted = new JsonArray();
            foreach (var tool in tools)
            {
                var function = tool?["function"];
                if (function is null) continue;
                var entry = new JsonObject
                {
                    ["name"] = Json.Str(function["name"]),
                    ["input_schema"] = Json.Copy(function["parameters"]) ?? new JsonObject { ["type"] = "object", ["properties"] = new JsonObject() },
                };
                if (Json.Str(function["description"]) is { } description) entry["description"] = description;
                converted.Add(entry);
            }

            request["tools"] = converted;
            if (ToolChoice(openai["tool_choice"], Json.Bool(openai["parallel_tool_calls"])) is { } choice) request["tool_choice"] = choice;
        }

        return request;
    }

    static JsonObject? ToolChoice(JsonNode? choice, bool? parallel)
    {
        JsonObject? converted = Json.Str(choice) switch
        {
            "auto" => new JsonObject { ["type"] = "auto" },
            "required" => new JsonObject { ["type"] = "any" },
            "none" => new JsonObject { ["type"] = "none" },
            _ when Json.Str(choice?["function"]?["name"]) is { } name => new JsonObject { ["type"] = "tool", ["name"] = name },
            _ => parallel == false ? new JsonObject { ["type"] = "auto" } : null,
        };
        if (converted is not null && parallel == false && Json.Str(converted["type"]) != "none") converted["disable_parallel_tool_use"] = true;
        return converted;
    }

    static List<JsonNode> UserBlocks(JsonNode? content)
    {
        if (Json.Str(content) is { } text) return [new JsonObject { ["type"] = "text", ["text"] = text }];
        var blocks = new List<JsonNode>();
        foreach (var part in content as JsonArray ?? [])
        {
            switch (Json.Str(part?["type"]))
            {
                case "text":
                    blocks.Add(new JsonObject { ["type"] = "text", ["text"] = Json.Str(part!["text"]) ?? "" });
                    break;
                case "image_url":
                    var url = Json.Str(part!["image_url"]?["url"]) ?? Json.Str(part["image_url"]) ?? "";
                    blocks.Add(new JsonObject { ["type"] = "image", ["source"] = ImageSource(url) });
                    break;
            }
        }

        return blocks;
    }

    /// <summary>A data URL becomes a base64 source, anything else a URL source.</summary>
    static JsonObject ImageSource(string url)
    {
        if (url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            var comma = url.IndexOf(',');
            var header = comma > 5 ? url[5..comma] : "";
            var mediaType = header.Split(';')[0];
            return new JsonObject { ["type"] = "base64", ["media_type"] = mediaType.Length > 0 ? mediaType : "image/png", ["data"] = comma >= 0 ? url[(comma + 1)..] : "" };
        }

        return new JsonObject { ["type"] = "url", ["url"] = url };
    }

    static List<JsonNode> AssistantBlocks(JsonObject message)
    {
        var blocks = new List<JsonNode>();
        var text = Json.TextOf(message["content"]);
        if (text.Length > 0) blocks.Add(new JsonObject { ["type"] = "text", ["text"] = text });
        foreach (var call in message["tool_calls"] as JsonArray ?? [])
        {
            blocks.Add(new JsonObject
            {
                ["type"] = "tool_use",
                ["id"] = Json.Str(call?["id"]) ?? "",
                ["name"] = Json.Str(call?["function"]?["name"]) ?? "",
                ["input"] = Json.ParseOrWrap(Json.Str(call?["function"]?["arguments"])),
            });
        }

        return blocks;
    }

    /// <summary>Adds blocks as a message, merged into the previous one when it has the same role (Anthropic wants roles to alternate).</summary>
    static void Append(JsonArray messages, string role, List<JsonNode> blocks)
    {
        if (blocks.Count == 0) return;
        if (messages.Count > 0 && messages[^1] is JsonObject last && Json.Str(last["role"]) == role && last["content"] is JsonArray existing)
        {
            foreach (var block in blocks) existing.Add(block);
            return;
        }

        messages.Add(new JsonObject { ["role"] = role, ["content"] = new JsonArray([.. blocks]) });
    }

    public static string FinishReason(string? stopReason) => stopReason switch
    {
        "max_tokens" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        _ => "stop",
    };

    /// <summary>An Anthropic message as an OpenAI <c>chat.completion</c>.</summary>
    public static JsonObject Response(JsonElement message, string model, long created, out TokenUsage usage)
    {
        var text = new System.Text.StringBuilder();
        var toolCalls = new JsonArray();
        if (message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array)
        {
            foreach (var block in content.EnumerateArray())
            {
                var type = block.TryGetProperty("type", out var t) ? t.GetString() : null;
                if (type == "text") text.Append(block.GetProperty("text").GetString());
                else if (type == "tool_use")
                {
                    toolCalls.Add(new JsonObject
                    {
                        ["id"] = block.GetProperty("id").GetString(),
                        ["type"] = "function",
                        ["function"] = new JsonObject
                        {
                            ["name"] = block.GetProperty("name").GetString(),
                            ["arguments"] = block.TryGetProperty("input", out var input) ? input.GetRawText() : "{}",
                        },
                    });
                }
            }
        }

        usage = message.TryGetProperty("usage", out var u) ? Protocols.UsageReader.FromAnthropic(u) : default;
        var reply = new JsonObject
        {
            ["role"] = "assistant",
            ["content"] = text.Length > 0 || toolCalls.Count == 0 ? text.ToString() : null,
            ["refusal"] = null,
        };
        if (toolCalls.Count > 0) reply["tool_calls"] = toolCalls;
        var stopReason = message.TryGetProperty("stop_reason", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        return new JsonObject
        {
            ["id"] = "chatcmpl-" + (message.TryGetProperty("id", out var id) ? id.GetString() : ""),
            ["object"] = "chat.completion",
            ["created"] = created,
            ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = reply,
                ["logprobs"] = null,
                ["finish_reason"] = FinishReason(stopReason),
            }),
            ["usage"] = OpenAIUsage(usage),
        };
    }

    public static JsonObject OpenAIUsage(TokenUsage usage) => new()
    {
        ["prompt_tokens"] = usage.Input,
        ["completion_tokens"] = usage.Output,
        ["total_tokens"] = usage.Total,
        ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = usage.CachedInput },
        ["completion_tokens_details"] = new JsonObject { ["reasoning_tokens"] = usage.Reasoning },
    };
}
