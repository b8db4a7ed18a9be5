using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Tollgate.Gateway.Pricing;
using Tollgate.Gateway.Protocols;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Streaming;
using Tollgate.Gateway.Tokens;
using Tollgate.Gateway.Translation;
using Tollgate.Metering;

namespace Tollgate.Gateway;

/// <summary>
/// A streamed answer relayed event by event in the client's format; billed from the provider's usage, or from the
/// tokens it delivered when cut short; read on for a bounded time after its client has gone.
/// </summary>
sealed partial class StreamForwarder(PriceBook prices, CallSettlement settlement, IOptions<GatewayOptions> options, TimeProvider time, ILogger<StreamForwarder> log)
{
    readonly GatewayOptions _options = options.Value;

    public async Task StreamAsync(
        HttpContext context, GatewayCaller caller, GatewayRequest request, GatewayCall call, Deployment deployment,
        HttpResponseMessage response, CancellationTokenSource timeout)
    {
        call.Streamed = true;
        IStreamRelay relay = (request.Protocol, deployment.Provider.Protocol) switch
        {
            (GatewayProtocol.OpenAI, GatewayProtocol.OpenAI) => new OpenAIPassthroughRelay(request.ClientWantsUsage),
            (GatewayProtocol.Anthropic, GatewayProtocol.Anthropic) => new AnthropicPassthroughRelay(),
            (GatewayProtocol.OpenAI, _) => new AnthropicToOpenAIStream(request.Model, Json.UnixNow(time), request.ClientWantsUsage),
            _ => new OpenAIToAnthropicStream(request.Model, "msg_" + call.RequestId),
        };

        var client = context.Response;
        client.StatusCode = 200;
        client.ContentType = "text/event-stream; charset=utf-8";
        client.Headers.CacheControl = "no-cache";
        client.Headers["X-Accel-Buffering"] = "no";
        ClientWrites.Headers(client, deployment, null);
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        var clientGone = context.RequestAborted.IsCancellationRequested;
        long? drainDeadline = null;
        var output = new SseOutput();
        var tooLarge = false;
        await using var upstream = await response.Content.ReadAsStreamAsync(timeout.Token);
        using var reader = new SseReader(upstream, _options.MaxResponseBytes);
        try
        {
            while (true)
            {
                if (!clientGone && context.RequestAborted.IsCancellationRequested) clientGone = true;
                if (clientGone)
                {
                    drainDeadline ??= time.GetTimestamp();
                    var left = TimeSpan.FromSeconds(_options.DrainAfterDisconnectSeconds) - time.GetElapsedTime(drainDeadline.Value);
                    if (left <= TimeSpan.Zero) break;
                    timeout.CancelAfter(left < deployment.Provider.Timeout ? left : deployment.Provider.Timeout);
                }
                else
                {
                    timeout.CancelAfter(deployment.Provider.Timeout);
                }

                var next = await reader.ReadAsync(timeout.Token);
                if (next is null) break;
                relay.OnEvent(next.Value, output);
                if (output.IsEmpty || clientGone) continue;

                call.FirstTokenTimestamp ??= time.GetTimestamp();
                clientGone = !await ClientWrites.WriteAsync(context, output.Written, flush: !reader.HasBufferedEvent);
                output.Clear();
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && timeout.IsCancellationRequested))
        {
            LogStreamBroke(log, call.RequestId, deployment.Provider.Name, e.GetType().Name);
            tooLarge = e is UpstreamTooLargeException;
        }

        relay.OnEnd(output);
        call.Usage = relay.UsageReported
            ? relay.Usage
            : new TokenUsage(
                Input: call.Estimate?.InputTokens ?? TokenEstimate.OfBytes(request.BodyBytes),
                Output: TokenCounter.Count(_options.Tokenizers ? TokenCounter.For(deployment) : null, relay.Delivered.ToString()));
        call.UsageEstimated = !relay.UsageReported;
        call.Cost = prices.Price(deployment, request.Model, caller.Customer?.Plan, call.Usage);
        call.HttpStatus = 200;
        call.Status = clientGone ? UsageStatus.ClientDisconnected
            : relay.UpstreamError is not null ? UsageStatus.UpstreamError
            : relay.Completed ? UsageStatus.Ok
            : UsageStatus.Incomplete;
        if (tooLarge) call.ErrorCode = "upstream_response_too_large";
        else if (relay.UpstreamError is not null) call.ErrorCode = "upstream_stream_error";
        else if (!relay.Completed) call.ErrorCode = "upstream_stream_incomplete";

        await settlement.RecordAsync(call);
        if (clientGone) return;
        output.WriteComment($"tollgate-cost: {call.Cost.ChargeDollars} USD");
        await ClientWrites.WriteAsync(context, output.Written, flush: true);
    }

    [LoggerMessage(EventId = 5021, Level = LogLevel.Warning, Message = "The stream of {RequestId} from {Provider} broke off: {Error}")]
    static partial void LogStreamBroke(ILogger logger, string requestId, string provider, string error);
}
