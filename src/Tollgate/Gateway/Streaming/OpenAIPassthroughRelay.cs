using System.Text.Json;
using Tollgate.Gateway.Pricing;
using Tollgate.Gateway.Protocols;

namespace Tollgate.Gateway.Streaming;

/// <summary>
/// An OpenAI stream to an OpenAI client: every event forwarded byte for byte, except the final usage chunk when the
/// client did not ask for it (Tollgate always asks the upstream, to bill the stream).
/// </summary>
public sealed class OpenAIPassthroughRelay(bool clientWantsUsage) : IStreamRelay
{
    public TokenUsage Usage { get; private set; }
    public bool UsageReported { get; private set; }
    public bool Completed { get; private set; }
    public DeliveredText Delivered { get; } = new();
    public string? UpstreamError { get; private set; }

    public void OnEvent(SseEvent upstream, SseOutput client)
    {
        if (upstream.IsDone)
        {
            Completed = true;
            client.WriteRaw(upstream.Raw.Span);
            return;
        }

        if (upstream.DataContains("\"delta\""u8)) Delivered.AddOpenAIChunk(upstream.Data.Span);
        if ((upstream.DataContains("\"usage\""u8) || upstream.DataContains("\"error\""u8)) && Inspect(upstream.Data.Span)) return;
        client.WriteRaw(upstream.Raw.Span);
    }

    /// <summary>Reads usage or an error from a chunk; true when the chunk is the usage-only one the client did not ask for.</summary>
    bool Inspect(ReadOnlySpan<byte> data)
    {
        try
        {
            var reader = new Utf8JsonReader(data);
            using var chunk = JsonDocument.ParseValue(ref reader);
            var root = chunk.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return false;
            if (root.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null)
            {
                UpstreamError = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m) ? m.ToString() : error.ToString();
                return false;
            }

            if (!root.TryGetProperty("usage", out var usage) || usage.ValueKind != JsonValueKind.Object) return false;
            Usage = UsageReader.FromOpenAI(usage);
            UsageReported = true;
            var usageOnly = !root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0;
            return usageOnly && !clientWantsUsage;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public void OnEnd(SseOutput client)
    {
        if (!Completed) client.WriteError(GatewayError.StreamIncomplete(UpstreamError), GatewayProtocol.OpenAI);
    }
}
