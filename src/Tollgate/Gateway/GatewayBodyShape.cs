using System.Text.Json;
using System.Text.Json.Nodes;
using Tollgate.Gateway.Protocols;

namespace Tollgate.Gateway;

/// <summary>
/// The one place a gateway request body's shape is checked, before anything reads it: no duplicate field names, no
/// unpaired UTF-16 surrogate in any string, and the fields Tollgate reads (and relays, and translates) of the JSON kind
/// the provider's API defines. What does not fit is a 400 naming the field, never an exception further on.
/// </summary>
public static class GatewayBodyShape
{
    public static readonly JsonDocumentOptions Parsing = new() { AllowDuplicateProperties = false, MaxDepth = 64 };

    [Flags]
    enum Kind
    {
        String = 1,
        Number = 2,
        Bool = 4,
        Object = 8,
        Array = 16,
        Null = 32,
    }

    static readonly Dictionary<string, Kind> Chat = new(StringComparer.Ordinal)
    {
        ["model"] = Kind.String, ["messages"] = Kind.Array, ["stream"] = Kind.Bool | Kind.Null, ["stream_options"] = Kind.Object | Kind.Null,
        ["user"] = Kind.String | Kind.Null, ["n"] = Kind.Number | Kind.Null, ["tools"] = Kind.Array | Kind.Null,
        ["tool_choice"] = Kind.String | Kind.Object | Kind.Null, ["response_format"] = Kind.Object | Kind.Null,
        ["stop"] = Kind.String | Kind.Array | Kind.Null, ["metadata"] = Kind.Object | Kind.Null, ["logit_bias"] = Kind.Object | Kind.Null,
        ["temperature"] = Kind.Number | Kind.Null, ["top_p"] = Kind.Number | Kind.Null, ["seed"] = Kind.Number | Kind.Null,
    };

    static readonly Dictionary<string, Kind> Messages = new(StringComparer.Ordinal)
    {
        ["model"] = Kind.String, ["messages"] = Kind.Array, ["stream"] = Kind.Bool | Kind.Null, ["system"] = Kind.String | Kind.Array | Kind.Null,
        ["metadata"] = Kind.Object | Kind.Null, ["tools"] = Kind.Array | Kind.Null, ["tool_choice"] = Kind.Object | Kind.Null,
        ["stop_sequences"] = Kind.Array | Kind.Null, ["temperature"] = Kind.Number | Kind.Null, ["top_p"] = Kind.Number | Kind.Null,
        ["top_k"] = Kind.Number | Kind.Null, ["thinking"] = Kind.Object | Kind.Null,
    };

    static readonly Dictionary<string, Kind> Embeddings = new(StringComparer.Ordinal)
    {
        ["model"] = Kind.String, ["input"] = Kind.String | Kind.Array, ["user"] = Kind.String | Kind.Null,
        ["encoding_format"] = Kind.String | Kind.Null, ["dimensions"] = Kind.Number | Kind.Null,
    };

    static readonly Dictionary<string, Kind> Images = new(StringComparer.Ordinal)
    {
        ["model"] = Kind.String, ["prompt"] = Kind.String, ["user"] = Kind.String | Kind.Null, ["size"] = Kind.String | Kind.Null,
        ["quality"] = Kind.String | Kind.Null, ["response_format"] = Kind.String | Kind.Null, ["style"] = Kind.String | Kind.Null,
    };

    /// <summary>The first thing wrong with a parsed body, or null. <paramref name="raw"/> is the body as sent.</summary>
    public static (string Message, string? Param)? Problem(GatewayOperation operation, JsonObject body, ReadOnlySpan<byte> raw)
    {
        if (HasEscapedSurrogate(raw) && UnpairedSurrogate(raw) is { } where) return ($"A string in the body ({where}) holds an unpaired UTF-16 surrogate.", null);

        var fields = operation switch
        {
            GatewayOperation.Messages => Messages,
            GatewayOperation.Embeddings => Embeddings,
            GatewayOperation.ImageGenerations => Images,
            _ => Chat,
        };
        foreach (var (name, kinds) in fields)
        {
            if (body.TryGetPropertyValue(name, out var node) && !kinds.HasFlag(KindOf(node)))
            {
                return ($"'{name}' must be {Describe(kinds)}.", name);
            }
        }

        if (body["messages"] is JsonArray messages && MessageProblem(operation, messages) is { } problem) return problem;
        if (operation == GatewayOperation.Messages && body["system"] is JsonArray system && Blocks(system, "system") is { } systemProblem) return systemProblem;
        return null;
    }

    static (string, string?)? MessageProblem(GatewayOperation operation, JsonArray messages)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            if (messages[i] is not JsonObject message) return ($"'messages[{i}]' must be an object.", "messages");
            if (message["role"] is not JsonValue role || role.GetValueKind() != JsonValueKind.String) return ($"'messages[{i}].role' must be a string.", "messages");
            switch (message["content"])
            {
                case null:
                case JsonValue text when text.GetValueKind() == JsonValueKind.String:
                    break;
                case JsonArray parts:
                    if (Blocks(parts, "messages", i) is { } problem) return problem;
                    break;
                default:
                    return ($"'messages[{i}].content' must be a string or an array of content parts.", "messages");
            }

            if (operation == GatewayOperation.ChatCompletions && message["tool_calls"] is { } calls && calls is not JsonArray)
            {
                return ($"'messages[{i}].tool_calls' must be an array.", "messages");
            }
        }

        return null;
    }

    /// <summary>
    /// Content parts and system blocks: objects with a string <c>type</c>, and a string <c>text</c> when they have one.
    /// <paramref name="param"/> is the body's field; the blocks are that field's, or the content of its message <paramref name="message"/>.
    /// </summary>
    static (string, string?)? Blocks(JsonArray blocks, string param, int message = -1)
    {
        for (var j = 0; j < blocks.Count; j++)
        {
            var (field, expected) = blocks[j] is not JsonObject block ? ("", "an object")
                : block["type"] is { } type && KindOf(type) != Kind.String ? (".type", "a string")
                : block.TryGetPropertyValue("text", out var text) && KindOf(text) != Kind.String ? (".text", "a string")
                : ("", null);
            if (expected is null) continue;
            var at = message < 0 ? $"{param}[{j}]" : $"{param}[{message}].content[{j}]";
            return ($"'{at}{field}' must be {expected}.", param);
        }

        return null;
    }

    static Kind KindOf(JsonNode? node) => node switch
    {
        null => Kind.Null,
        JsonObject => Kind.Object,
        JsonArray => Kind.Array,
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => Kind.String,
            JsonValueKind.Number => Kind.Number,
            JsonValueKind.True or JsonValueKind.False => Kind.Bool,
            _ => Kind.Null,
        },
        _ => Kind.Null,
    };

    static string Describe(Kind kinds)
    {
        var names = Enum.GetValues<Kind>().Where(k => k != Kind.Null && kinds.HasFlag(k)).Select(k => k switch
        {
            Kind.String => "a string",
            Kind.Number => "a number",
            Kind.Bool => "true or false",
            Kind.Object => "an object",
            _ => "an array",
        });
        return string.Join(" or ", names);
    }

    /// <summary>Whether the body has a <c>\uD800</c>–<c>\uDFFF</c> escape at all: nearly no body does, so nearly none is read twice.</summary>
    static bool HasEscapedSurrogate(ReadOnlySpan<byte> raw)
    {
        var at = 0;
        while (at < raw.Length)
        {
            var next = raw[at..].IndexOf("\\u"u8);
            if (next < 0) return false;
            at += next + 2;
            if (at + 1 < raw.Length && raw[at] is (byte)'d' or (byte)'D' && raw[at + 1] is >= (byte)'8' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F')
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Where a string or name decodes to an unpaired surrogate, which no provider (and no JSON writer) accepts.</summary>
    static string? UnpairedSurrogate(ReadOnlySpan<byte> raw)
    {
        var reader = new Utf8JsonReader(raw, new JsonReaderOptions { MaxDepth = 64 });
        while (reader.Read())
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || !reader.ValueIsEscaped) continue;
            try
            {
                reader.GetString();
            }
            catch (InvalidOperationException)
            {
                return $"at byte {reader.TokenStartIndex}";
            }
        }

        return null;
    }
}
