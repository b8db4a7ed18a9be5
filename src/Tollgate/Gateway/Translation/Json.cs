using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tollgate.Gateway.Translation;

/// <summary>Small helpers for reading loosely typed request JSON without throwing on surprises.</summary>
static class Json
{
    public static string? Str(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    /// <summary>A whole number, or a fractional one cut to a whole one within range; null for anything else.</summary>
    public static long? Long(JsonNode? node)
    {
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.Number) return null;
        if (value.TryGetValue<long>(out var n)) return n;
        if (value.TryGetValue<int>(out var i)) return i;
        return value.TryGetValue<double>(out var d) && d is >= long.MinValue and <= long.MaxValue ? (long)d : null;
    }

    public static bool? Bool(JsonNode? node) => node?.GetValueKind() switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    /// <summary>A deep copy, so a node can move from the client's request into the upstream's.</summary>
    public static JsonNode? Copy(JsonNode? node) => node?.DeepClone();

    /// <summary>A string of text parts (OpenAI content arrays, Anthropic text blocks) joined by blank lines.</summary>
    public static string TextOf(JsonNode? content)
    {
        if (Str(content) is { } text) return text;
        if (content is not JsonArray parts) return "";
        var texts = new List<string>();
        foreach (var part in parts)
        {
            if (part is JsonObject o && Str(o["type"]) is "text" or "input_text" && Str(o["text"]) is { } t) texts.Add(t);
        }

        return string.Join("\n\n", texts);
    }

    /// <summary>Parses JSON text, or wraps it as a string when it is not JSON (a model's broken tool arguments).</summary>
    public static JsonNode ParseOrWrap(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return new JsonObject();
        try
        {
            return JsonNode.Parse(text) ?? new JsonObject();
        }
        catch (JsonException)
        {
            return new JsonObject { ["_raw"] = text };
        }
    }

    public static long UnixNow(TimeProvider time) => time.GetUtcNow().ToUnixTimeSeconds();
}
