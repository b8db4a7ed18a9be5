using System.Text.Json;
using System.Text.Json.Nodes;
using Tollgate.Metering.Queries;

namespace Tollgate.Metering;

/// <summary>
/// An event's properties as metrics read them in memory, the same as the usage SQL reads them: a property as text (as
/// filters compare it: strings as they are, booleans as <c>true</c>/<c>false</c>, numbers as written; null and absent
/// are null) and as a number (as sums add it). Sent events read their JSON; the gateway's read their usage record's
/// fields directly, so settling a request or adding it to cached totals builds no JSON.
/// </summary>
public abstract class EventValues
{
    public abstract string? Text(string name);

    /// <summary>Whether the property is a number at all (one too large for a decimal included).</summary>
    public abstract bool IsNumber(string name);

    /// <summary>The property as a number when it is one a decimal holds; otherwise null.</summary>
    public abstract decimal? Number(string name);

    /// <summary>Whether the properties pass every filter: each named property has one of its listed values.</summary>
    public bool Matches(IReadOnlyDictionary<string, string[]> filters)
    {
        foreach (var (name, values) in filters)
        {
            if (Text(name) is not { } text || Array.IndexOf(values, text) < 0) return false;
        }

        return true;
    }

    public static EventValues Of(JsonObject properties) => new Json(properties);

    sealed class Json(JsonObject properties) : EventValues
    {
        public override string? Text(string name) => PropertyText.Of(properties, name);

        public override bool IsNumber(string name) => properties[name] is JsonValue v && v.GetValueKind() == JsonValueKind.Number;

        public override decimal? Number(string name) => PropertyText.Number(properties, name);
    }
}
