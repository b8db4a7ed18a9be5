using System.Text.Json;
using Tollgate.Gateway.Pricing;
using Tollgate.Gateway.Protocols;

namespace Tollgate.Gateway.Streaming;

/// <summary>An Anthropic stream to an Anthropic client: forwarded byte for byte, usage read from <c>message_start</c> and <c>message_delta</c>.</summary>
public sealed class AnthropicPassthroughRelay : IStreamRelay
{
    public TokenUsage Usage { get; private set; }
    public bool UsageReported { get; private set; }
    public bool Completed { get; private set; }
    public DeliveredText Delivered { get; } = new();
    public string? UpstreamError { get; private set; }

    public void OnEvent(SseEvent upstream, SseOutput client)
    {
        switch (upstream.Name)
        {
            case "content_block_delta":
                Delivered.AddAnthropicDelta(upstream.Data.Span);
                break;
            case "message_start":
            case "message_delta":
                ReadUsage(upstream);
                break;
            case "message_stop":
                Completed = true;
                break;
            case "error":
                UpstreamError = ErrorMessage(upstream.Data.Span);
                break;
        }

        client.WriteRaw(upstream.Raw.Span);
    }

    void ReadUsage(SseEvent upstream)
    {
        try
        {
            var reader = new Utf8JsonReader(upstream.Data.Span);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            var holder = upstream.Name == "message_start" && root.TryGetProperty("message", out var message) ? message : root;
            if (holder.TryGetProperty("usage", out var usage))
            {
                Usage = UsageReader.FromAnthropic(usage, Usage);
                UsageReported = true;
            }
        }
        catch (JsonException)
        {
        }
    }

    internal static string ErrorMessage(ReadOnlySpan<byte> data)
    {
        try
        {
            var reader = new Utf8JsonReader(data);
            using var doc = JsonDocument.ParseValue(ref reader);
            return doc.RootElement.TryGetProperty("error", out var e) && e.TryGetProperty("message", out var m) ? m.ToString() : "upstream error";
        }
        catch (JsonException)
        {
            return "upstream error";
        }
    }

    public void OnEnd(SseOutput client)
    {
        if (!Completed && UpstreamError is null) client.WriteError(GatewayError.StreamIncomplete(), GatewayProtocol.Anthropic);
    }
}
