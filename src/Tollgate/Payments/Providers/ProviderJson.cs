using System.Text.Json;

namespace Tollgate.Payments.Providers;

/// <summary>Reading the providers' JSON leniently: a field of another kind than expected reads as absent.</summary>
static class ProviderJson
{
    /// <summary>The body as JSON, or null when it is none (a proxy's HTML error page, say).</summary>
    public static JsonDocument? TryParse(byte[] body)
    {
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static string? Text(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static long? Long(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : null;

    public static JsonElement Child(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;

    /// <summary>An amount in minor units written as a string (<c>"4900"</c>), as Paddle writes amounts; anything else reads as absent.</summary>
    public static long? MinorUnits(this JsonElement element, string name) =>
        element.Text(name) is { } text && long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;

    /// <summary>An RFC 3339 time (<c>2024-04-12T10:18:33.579142Z</c>); absent, malformed or the year 1 (a zero time) is none.</summary>
    public static DateTimeOffset? Time(this JsonElement element, string name) =>
        element.Text(name) is { } text && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
            && at.Year > 1 ? at : null;

    /// <summary>The elements of an array property; none when it is absent or not an array.</summary>
    public static IEnumerable<JsonElement> Items(this JsonElement element, string name) =>
        element.Child(name) is { ValueKind: JsonValueKind.Array } array ? array.EnumerateArray() : [];

    /// <summary>Unix seconds as a time; 0, absent or out of range is none.</summary>
    public static DateTimeOffset? UnixTime(this JsonElement element, string name) =>
        element.Long(name) is { } seconds && seconds is > 0 and < 253402300800 ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;
}
