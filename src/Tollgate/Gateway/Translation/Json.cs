using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tollgate.Gateway.Translation;

/// <summary>Small helpers for reading loosely typed request JSON without throwing on surprises.</summary>
static class Json
{
    public static string? Str(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    public static long? Long(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<long>(out var n) ? n
        : node is JsonValue d && d.GetValueKind() == JsonValueKind.Number ? (long)d.GetValue<double>() : null;

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
