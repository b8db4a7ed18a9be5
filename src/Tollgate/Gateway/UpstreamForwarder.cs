using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Tollgate.Gateway.Protocols;
using Tollgate.Gateway.Routing;
using Tollgate.Metering;

namespace Tollgate.Gateway;

/// <summary>
/// A reserved gateway call sent on: the response cache first, then each deployment of its plan in turn, retrying on
/// timeouts, 5xx and 429, until one answers; the answer or the stream goes to <see cref="AnswerWriter"/> or
/// <see cref="StreamForwarder"/>.
/// </summary>
sealed partial class UpstreamForwarder(
    UpstreamClients clients, ResponseCache cache, AnswerWriter answers, StreamForwarder streams, CallSettlement settlement,
    IOptions<GatewayOptions> options, TimeProvider time, ILogger<UpstreamForwarder> log)
{
    readonly GatewayOptions _options = options.Value;

    public async Task ServeAsync(HttpContext context, GatewayCaller caller, GatewayRequest request, ModelRoute route, IReadOnlyList<Deployment> plan, GatewayCall call)
    {
        string? cacheKey = null;
        TimeSpan? cacheTtl = request.Stream ? null : cache.TtlFor(context.Request, caller.Customer?.Plan);
        if (cacheTtl is not null)
        {
            cacheKey = ResponseCache.Key(caller.Customer?.CustomerId ?? caller.Key.Id, request.OperationName, route.Alias, JsonSerializer.SerializeToUtf8Bytes(request.Body, WireJson.Options));
            if (cache.Get(cacheKey) is { } hit)
            {
                await answers.FromCacheAsync(context, call, hit);
                return;
            }
        }

        GatewayError? failure = null;
        foreach (var deployment in plan)
        {
            call.Attempts++;
            call.Served = deployment;
            var (upstreamRequest, unsupported) = UpstreamRequests.Build(request, deployment, context.Request, _options.DefaultMaxTokens);
            if (upstreamRequest is null)
            {
                failure = unsupported;
                continue;
            }

            call.Status = UsageStatus.UpstreamError; // from here on it has run, and the provider may bill it

            using var timeout = new CancellationTokenSource(deployment.Provider.Timeout);
            HttpResponseMessage response;
            try
            {
                using (upstreamRequest)
                {
                    response = await clients.For(deployment.Provider).SendAsync(upstreamRequest, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                }
            }
            catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && timeout.IsCancellationRequested))
            {
                failure = e is OperationCanceledException
                    ? new GatewayError(504, "upstream_timeout", $"The provider '{deployment.Provider.Name}' did not answer within {deployment.Provider.Timeout.TotalSeconds:0} s.")
                    : new GatewayError(502, "upstream_unreachable", $"The provider '{deployment.Provider.Name}' could not be reached.");
                LogAttemptFailed(log, call.Attempts, call.RequestId, deployment.Provider.Name, failure.Code);
                continue;
            }

            using (response)
            {
                if (!response.IsSuccessStatusCode)
                {
                    var body = await ReadErrorBodyAsync(response, timeout.Token);
                    failure = GatewayError.FromUpstream((int)response.StatusCode, body, RetryAfter(response));
                    if (Retryable(response.StatusCode))
                    {
                        LogAttemptAnswered(log, call.Attempts, call.RequestId, deployment.Provider.Name, (int)response.StatusCode);
                        continue;
                    }

                    break;
                }

                if (request.Stream) await streams.StreamAsync(context, caller, request, call, deployment, response, timeout);
                else await answers.RespondAsync(context, caller, request, call, deployment, response, timeout, cacheKey, cacheTtl);
                return;
            }
        }

        await settlement.FailAsync(context, call, request.Protocol, failure ?? new GatewayError(502, "no_deployment", $"No deployment could serve '{request.Model}'."),
            call.Status == UsageStatus.NotRun ? UsageStatus.Rejected : UsageStatus.UpstreamError);
    }

    static bool Retryable(HttpStatusCode status) => status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || (int)status >= 500;

    int? RetryAfter(HttpResponseMessage response) =>
        response.Headers.RetryAfter?.Delta is { } delta ? (int)Math.Ceiling(delta.TotalSeconds)
        : response.Headers.RetryAfter?.Date is { } date ? Math.Max(0, (int)Math.Ceiling((date - time.GetUtcNow()).TotalSeconds))
        : null;

    /// <summary>An error body is only inspected and relayed in part: at most 64 KB of it are read.</summary>
    static async Task<byte[]> ReadErrorBodyAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            return await UpstreamBody.ReadAsync(response.Content, 64 * 1024, ct);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            return [];
        }
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Attempt {Attempt} of {RequestId} at {Provider} failed: {Error}")]
    static partial void LogAttemptFailed(ILogger logger, int attempt, string requestId, string provider, string error);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Attempt {Attempt} of {RequestId} at {Provider} answered {Status}.")]
    static partial void LogAttemptAnswered(ILogger logger, int attempt, string requestId, string provider, int status);
}
