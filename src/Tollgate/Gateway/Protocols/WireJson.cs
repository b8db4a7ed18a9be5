using System.Text.Encodings.Web;
using System.Text.Json;

namespace Tollgate.Gateway.Protocols;

/// <summary>JSON as the providers write it: UTF-8 text left as is, not <c>\u0027</c>-escaped for HTML.</summary>
public static class WireJson
{
    public static JsonSerializerOptions Options { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static JsonWriterOptions Writer { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
