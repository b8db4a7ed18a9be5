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

    /// <summary>Unix seconds as a time; 0, absent or out of range is none.</summary>
    public static DateTimeOffset? UnixTime(this JsonElement element, string name) =>
        element.Long(name) is { } seconds && seconds is > 0 and < 253402300800 ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;
}
