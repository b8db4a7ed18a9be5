using Tollgate.Gateway.Pricing;

namespace Tollgate.Gateway.Streaming;

/// <summary>
/// Turns an upstream's events into the client's events, one upstream event at a time, and keeps the tally the usage
/// record needs: tokens as the provider reported them, whether the stream finished, and the text it delivered.
/// </summary>
public interface IStreamRelay
{
    void OnEvent(SseEvent upstream, SseOutput client);

    /// <summary>Called once after the upstream ends, cleanly or not: closes what the client is still waiting for.</summary>
    void OnEnd(SseOutput client);

    TokenUsage Usage { get; }

    /// <summary>Whether the provider reported usage at all (false: the record's tokens are estimated).</summary>
    bool UsageReported { get; }

    /// <summary>Whether the upstream sent its end marker (<c>[DONE]</c> or <c>message_stop</c>).</summary>
    bool Completed { get; }

    /// <summary>The text the stream delivered: counted for its output tokens when a stream is cut before the provider reports usage.</summary>
    DeliveredText Delivered { get; }

    /// <summary>An error event the upstream sent mid-stream, if any.</summary>
    string? UpstreamError { get; }
}
