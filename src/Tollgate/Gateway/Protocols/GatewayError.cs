using System.Text.Json;

namespace Tollgate.Gateway.Protocols;

/// <summary>
/// A failure answered by the gateway itself, written in the caller's wire format: OpenAI's
/// <c>{"error":{"message","type","param","code"}}</c> or Anthropic's <c>{"type":"error","error":{"type","message"}}</c>.
/// </summary>
public sealed record GatewayError(int Status, string Code, string Message, string? Param = null, int? RetryAfterSeconds = null)
{
    public static GatewayError Invalid(string message, string? param = null) => new(400, "invalid_request", message, param);

    /// <summary>The wire format of a gateway route (<c>/v1/…</c>): Anthropic's on <c>/v1/messages</c> or with <c>anthropic-version</c>; null elsewhere.</summary>
    public static GatewayProtocol? ProtocolOf(HttpContext context) =>
        !context.Request.Path.StartsWithSegments("/v1") ? null
        : context.Request.Path.StartsWithSegments("/v1/messages") || context.Request.Headers.ContainsKey("anthropic-version") ? GatewayProtocol.Anthropic
        : GatewayProtocol.OpenAI;

    /// <summary>The upstream ended a stream before its end marker; sent to the client as the stream's last event.</summary>
    public static GatewayError StreamIncomplete(string? upstreamMessage = null) =>
        new(502, "upstream_stream_incomplete", upstreamMessage ?? "The model provider ended the stream before it was complete.");

    /// <summary>The upstream sent an error event mid-stream.</summary>
    public static GatewayError StreamError(string message) => new(502, "upstream_error", message);

    public static GatewayError ModelNotFound(string model) =>
        new(404, "model_not_found", $"The model '{model}' does not exist on this gateway.", "model");

    public static GatewayError ModelNotAllowed(string model, string? plan) =>
        new(403, "model_not_allowed", plan is null
            ? $"The model '{model}' needs a plan that includes it, and this customer has no plan."
            : $"The model '{model}' is not included in the '{plan}' plan.", "model");

    /// <summary>A hard quota would be passed: retrying does not help before it resets, so the SDKs are told not to.</summary>
    public static GatewayError QuotaExceeded(string feature, long limit, DateTimeOffset resetsAt) =>
        new(429, "quota_exceeded", $"The quota '{feature}' of {limit} is used up until {resetsAt:yyyy-MM-dd'T'HH:mm:ss'Z'}.") { Retryable = false };

    public static GatewayError QuotaCapExceeded(string feature, long limit, long most) =>
        new(429, "quota_exceeded", $"A request may count at most {limit} toward the quota '{feature}'; this one could count {most}. Ask for fewer tokens (max_tokens).") { Retryable = false };

    /// <summary>The node cannot record usage durably (its journal's disk refuses writes), so it serves nothing.</summary>
    public static GatewayError UsageJournalUnavailable() =>
        new(503, "usage_journal_unavailable", "This gateway node cannot record usage right now; try again, or another node.");

    /// <summary>False tells the OpenAI and Anthropic SDKs not to retry (<c>x-should-retry: false</c>).</summary>
    public bool Retryable { get; init; } = true;

    /// <summary>OpenAI's error <c>type</c> for a status.</summary>
    public string OpenAIType => Status switch
    {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "invalid_request_error",
        429 => "rate_limit_error",
        >= 500 => "api_error",
        _ => "invalid_request_error",
    };

    /// <summary>Anthropic's error <c>type</c> for a status.</summary>
    public string AnthropicType => Status switch
    {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        >= 500 => "api_error",
        _ => "invalid_request_error",
    };

    public byte[] ToJson(GatewayProtocol protocol)
    {
        using var buffer = new MemoryStream(256);
        using (var json = new Utf8JsonWriter(buffer, WireJson.Writer))
        {
            json.WriteStartObject();
            if (protocol == GatewayProtocol.Anthropic)
            {
                json.WriteString("type", "error");
                json.WriteStartObject("error");
                json.WriteString("type", AnthropicType);
                json.WriteString("message", Message);
                json.WriteEndObject();
            }
            else
            {
                json.WriteStartObject("error");
                json.WriteString("message", Message);
                json.WriteString("type", OpenAIType);
                if (Param is null) json.WriteNull("param");
                else json.WriteString("param", Param);
                json.WriteString("code", Code);
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public async Task WriteAsync(HttpContext context, GatewayProtocol protocol)
    {
        var response = context.Response;
        response.StatusCode = Status;
        response.ContentType = "application/json";
        if (RetryAfterSeconds is { } seconds) response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!Retryable) response.Headers["x-should-retry"] = "false";
        await response.Body.WriteAsync(ToJson(protocol), context.RequestAborted);
    }

    /// <summary>
    /// An upstream's error body restated for the caller: the upstream's message and type kept, whichever format
    /// it came in, so that translation does not lose what went wrong.
    /// </summary>
    public static GatewayError FromUpstream(int status, ReadOnlySpan<byte> body, int? retryAfter)
    {
        string? message = null;
        string? code = null;
        try
        {
            using var doc = JsonDocument.Parse(body.ToArray());
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var error))
            {
                if (error.ValueKind == JsonValueKind.Object)
                {
                    message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                    code = error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()
                        : error.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                }
                else if (error.ValueKind == JsonValueKind.String)
                {
                    message = error.GetString();
                }
            }
        }
        catch (JsonException)
        {
        }

        // A provider's own server error is a bad gateway here: a 500 from Tollgate always means Tollgate's own bug.
        var relayed = status is 500 or 501 or > 504 ? 502 : status;
        return new GatewayError(relayed, code ?? "upstream_error", message ?? $"The model provider answered {status}.", RetryAfterSeconds: retryAfter);
    }
}
