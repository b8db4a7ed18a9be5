using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tollgate.Metering.Queries;

/// <summary>
/// How an event property compares with filter values and reads as a number, the same in memory as in the databases'
/// SQL: strings as they are, booleans as <c>true</c> and <c>false</c>, numbers as written; null and absent match nothing.
/// </summary>
public static class PropertyText
{
    public static string? Of(JsonObject properties, string name) => properties.TryGetPropertyValue(name, out var node) ? Of(node) : null;

    public static string? Of(JsonNode? node) => node is JsonValue value
        ? value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Number => value.ToJsonString(),
            _ => null,
        }
        : null;

    public static decimal? Number(JsonObject properties, string name) =>
        properties.TryGetPropertyValue(name, out var node) && node is JsonValue value && value.GetValueKind() == JsonValueKind.Number
            ? decimal.TryParse(value.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null
            : null;

    /// <summary>Whether the properties pass every filter: each named property has one of its listed values.</summary>
    public static bool Matches(JsonObject properties, IReadOnlyDictionary<string, string[]> filters)
    {
        foreach (var (name, values) in filters)
        {
            if (Of(properties, name) is not { } text || Array.IndexOf(values, text) < 0) return false;
        }

        return true;
    }
}
