using System.Text.Json;
using System.Text.Json.Nodes;
using Tollgate.Gateway.Pricing;

namespace Tollgate.Gateway.Translation;

/// <summary>Serves an Anthropic Messages request with an OpenAI-compatible model: the request and answer rewritten both ways.</summary>
public static class OpenAIForAnthropicClients
{
    public static JsonObject Request(JsonObject anthropic, string model)
    {
        var messages = new JsonArray();
        var system = anthropic["system"];
        var systemText = Json.TextOf(system);
        if (systemText.Length > 0) messages.Add(new JsonObject { ["role"] = "system", ["content"] = systemText });

        foreach (var node in anthropic["messages"] as JsonArray ?? [])
        {
            if (node is not JsonObject message) continue;
            var role = Json.Str(message["role"]) ?? "user";
            var content = message["content"];
            if (Json.Str(content) is { } text)
            {
                messages.Add(new JsonObject { ["role"] = role, ["content"] = text });
                continue;
            }

            if (role == "assistant") messages.Add(Assistant(content as JsonArray ?? []));
            else AddUser(messages, content as JsonArray ?? []);
        }

        var request = new JsonObject
        {
            ["model"] = model,
            ["messages"] = messages,
        };
        if (Json.Long(anthropic["max_tokens"]) is { } maxTokens) request["max_tokens"] = maxTokens;
        if (Json.Copy(anthropic["temperature"]) is { } temperature) request["temperature"] = temperature;
        if (Json.Copy(anthropic["top_p"]) is { } topP) request["top_p"] = topP;
        if (Json.Copy(anthropic["stop_sequences"]) is { } stop) request["stop"] = stop;
        if (Json.Str(anthropic["metadata"]?["user_id"]) is { } user) request["user"] = user;
        if (Json.Bool(anthropic["stream"]) == true)
        {
            request["stream"] = true;
            request["stream_options"] = new JsonObject { ["include_usage"] = true };
        }

        if (anthropic["tools"] is JsonArray tools && tools.Count > 0)
        {
            var converted = new JsonArray();
            foreach (var tool in tools)
            {
                if (tool is null || Json.Str(tool["name"]) is not { } name) continue;
                var function = new JsonObject
                {
                    ["name"] = name,
                    ["parameters"] = Json.Copy(tool["input_schema"]) ?? new JsonObject { ["type"] = "object" },
                };
                if (Json.Str(tool["description"]) is { } description) function["description"] = description;
                converted.Add(new JsonObject { ["type"] = "function", ["function"] = function });
            }

            request["tools"] = converted;
            var choice = anthropic["tool_choice"];
            switch (Json.Str(choice?["type"]))
            {
                case "auto": request["tool_choice"] = "auto"; break;
                case "any": request["tool_choice"] = "required"; break;
                case "none": request["tool_choice"] = "none"; break;
                case "tool":
                    request["tool_choice"] = new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = Json.Str(choice!["name"]) } };
                    break;
            }

            if (Json.Bool(choice?["disable_parallel_tool_use"]) == true) request["parallel_tool_calls"] = false;
        }

        return request;
    }

    static JsonObject Assistant(JsonArray blocks)
    {
        var text = new System.Text.StringBuilder();
        var calls = new JsonArray();
        foreach (var block in blocks)
        {
            switch (Json.Str(block?["type"]))
            {
                case "text":
                    text.Append(Json.Str(block!["text"]));
                    break;
                case "tool_use":
                    calls.Add(new JsonObject
                    {
                        ["id"] = Json.Str(block!["id"]),
                        ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = Json.Str(block["name"]), ["arguments"] = block["input"]?.ToJsonString() ?? "{}" },
                    });
                    break;
            }
        }

        var message = new JsonObject { ["role"] = "assistant", ["content"] = text.Length > 0 ? text.ToString() : null };
        if (calls.Count > 0) message["tool_calls"] = calls;
        return message;
    }

    /// <summary>Tool results become <c>tool</c> messages first (OpenAI wants them right after the call), then the rest as one user message.</summary>
    static void AddUser(JsonArray messages, JsonArray blocks)
    {
        var parts = new JsonArray();
        foreach (var block in blocks)
        {
            switch (Json.Str(block?["type"]))
            {
                case "tool_result":
                    messages.Add(new JsonObject
                    {
                        ["role"] = "tool",
                        ["tool_call_id"] = Json.Str(block!["tool_use_id"]),
                        ["content"] = Json.TextOf(block["content"]),
                    });
                    break;
                case "text":
                    parts.Add(new JsonObject { ["type"] = "text", ["text"] = Json.Str(block!["text"]) });
                    break;
                case "image":
                    var source = block!["source"];
                    var url = Json.Str(source?["type"]) == "base64"
                        ? $"data:{Json.Str(source!["media_type"])};base64,{Json.Str(source["data"])}"
                        : Json.Str(source?["url"]);
                    parts.Add(new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = url } });
                    break;
            }
        }

        if (parts.Count == 0) return;
        messages.Add(parts.Count == 1 && Json.Str(parts[0]!["type"]) == "text"
            ? new JsonObject { ["role"] = "user", ["content"] = parts[0]!["text"]!.DeepClone() }
            : new JsonObject { ["role"] = "user", ["content"] = parts });
    }

    public static string StopReason(string? finishReason) => finishReason switch
    {
        "length" => "max_tokens",
        "tool_calls" or "function_call" => "tool_use",
        "content_filter" => "refusal",
        _ => "end_turn",
    };

    /// <summary>An OpenAI <c>chat.completion</c> as an Anthropic message.</summary>
    public static JsonObject Response(JsonElement completion, string model, out TokenUsage usage)
    {
        var content = new JsonArray();
        string? finish = null;
        if (completion.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0)
        {
            var choice = choices[0];
            finish = choice.TryGetProperty("finish_reason", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
            var message = choice.GetProperty("message");
            if (message.TryGetProperty("content", out var text) && text.ValueKind == JsonValueKind.String && text.GetString()!.Length > 0)
            {
                content.Add(new JsonObject { ["type"] = "text", ["text"] = text.GetString() });
            }

            if (message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
            {
                foreach (var call in calls.EnumerateArray())
                {
                    var function = call.GetProperty("function");
                    content.Add(new JsonObject
                    {
                        ["type"] = "tool_use",
                        ["id"] = call.GetProperty("id").GetString(),
                        ["name"] = function.GetProperty("name").GetString(),
                        ["input"] = Json.ParseOrWrap(function.TryGetProperty("arguments", out var a) ? a.GetString() : null),
                    });
                }
            }
        }

        usage = completion.TryGetProperty("usage", out var u) ? Protocols.UsageReader.FromOpenAI(u) : default;
        var id = completion.TryGetProperty("id", out var i) ? i.GetString() : null;
        return new JsonObject
        {
            ["id"] = "msg_" + (id ?? "tollgate"),
            ["type"] = "message",
            ["role"] = "assistant",
            ["model"] = model,
            ["content"] = content,
            ["stop_reason"] = StopReason(finish),
            ["stop_sequence"] = null,
            ["usage"] = AnthropicUsage(usage),
        };
    }

    public static JsonObject AnthropicUsage(TokenUsage usage) => new()
    {
        ["input_tokens"] = usage.UncachedInput,
        ["cache_creation_input_tokens"] = usage.CacheWrite,
        ["cache_read_input_tokens"] = usage.CachedInput,
        ["output_tokens"] = usage.Output,
    };
}
