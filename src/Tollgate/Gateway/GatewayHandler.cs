using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Tollgate.Common;
using Tollgate.Gateway.Reservations;
using Tollgate.Gateway.Pricing;
using Tollgate.Gateway.Protocols;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Streaming;
using Tollgate.Gateway.Tokens;
using Tollgate.Gateway.Translation;
using Tollgate.Gateway.Usage;
using Tollgate.Limits;
using Tollgate.Metering;

namespace Tollgate.Gateway;

/// <summary>
/// One gateway request from start to finish: who is calling, which model, which deployments to try, the upstream call,
/// the answer in the client's wire format, and exactly one usage record, whatever happened.
/// </summary>
public sealed class GatewayHandler(
    RouteRegistry routes,
    GatewayAuthenticator authenticator,
    UpstreamClients clients,
    PriceBook prices,
    ResponseCache cache,
    UsageJournal journal,
    GatewayQuotas quotas,
    GatewayLimits limits,
    GatewayReservations reservations,
    IOptions<GatewayOptions> options,
    TimeProvider time,
    ILogger<GatewayHandler> log)
{
    public const string CostHeader = "x-tollgate-cost";

    readonly GatewayOptions _options = options.Value;

    public async Task HandleAsync(HttpContext context, GatewayOperation operation)
    {
        var started = time.GetTimestamp();
        var startedAt = time.Now();
        var requestId = context.TraceIdentifier; // req_…, sent as x-request-id by Operations/RequestIds
        var protocol = operation == GatewayOperation.Messages ? GatewayProtocol.Anthropic : GatewayProtocol.OpenAI;

        var (caller, refusal) = await authenticator.AuthenticateAsync(context);
        if (caller is null)
        {
            await refusal!.WriteAsync(context, protocol);
            return;
        }

        var (request, invalid) = await GatewayRequest.ReadAsync(context, operation, _options.MaxRequestBytes);
        var call = new GatewayCall(requestId, caller, request?.OperationName ?? operation.ToString(), request?.Model ?? "", started, startedAt)
        {
            EndUser = request?.EndUser,
            Cost = Cost.Free(prices.Table.Version),
        };
        try
        {
            if (!journal.IsWritable)
            {
                await FailAsync(context, call, protocol, GatewayError.UsageJournalUnavailable(), UsageStatus.Rejected);
                return;
            }

            if (request is null)
            {
                await FailAsync(context, call, protocol, invalid!, UsageStatus.Rejected);
                return;
            }

            var route = routes.Current.Find(request.Model);
            if (route is null)
            {
                await FailAsync(context, call, protocol, GatewayError.ModelNotFound(request.Model), UsageStatus.Rejected);
                return;
            }

            if (!caller.MayUse(route.Feature))
            {
                await FailAsync(context, call, protocol, GatewayError.ModelNotAllowed(request.Model, caller.Customer?.Plan), UsageStatus.Rejected);
                return;
            }

            var plan = caller.IsTestMode && _options.SandboxForTestKeys
                ? [new Deployment(UpstreamProvider.Sandbox, route.Alias, 1, null)]
                : RoutePlanner.Plan(route, routes.Current.Find, Math.Max(1, _options.MaxAttempts), Random.Shared);
            if (await ReserveAsync(context, caller, request, plan, call) is { } refused)
            {
                await FailAsync(context, call, protocol, refused, UsageStatus.Rejected);
                return;
            }

            await ServeAsync(context, caller, request, route, plan, call);
        }
        finally
        {
            await RecordAsync(call);
        }
    }

    /// <summary>
    /// Settles the call's reservations and appends its usage record to the journal, once. Called before the last bytes
    /// of the answer go out, so that a client that got a whole answer always has its usage recorded.
    /// </summary>
    async ValueTask RecordAsync(GatewayCall call)
    {
        if (call.Recorded) return;
        call.Recorded = true;
        var record = call.ToRecord(time);
        reservations.Settle(call.Held, record);
        await journal.AppendAsync(record);
    }

    /// <summary>Holds room on every hard quota, rate limit and budget the request falls under, or answers why not.</summary>
    async ValueTask<GatewayError?> ReserveAsync(HttpContext context, GatewayCaller caller, GatewayRequest request, IReadOnlyList<Deployment> plan, GatewayCall call)
    {
        var held = call.Held;
        var estimate = RequestEstimate.For(request, plan, _options.DefaultMaxTokens, (deployment, tokens) => prices.Price(deployment, request.Model, caller.Customer?.Plan, tokens));
        call.Estimate = estimate;
        var wanted = new List<Reservation>();
        if (caller.Customer is { } customer && await quotas.AddAsync(wanted, customer, caller, request, estimate, context.RequestAborted) is { } refused)
        {
            return refused;
        }
        await limits.AddAsync(wanted, caller, estimate, request.EndUser);
        if (wanted.Count == 0) return null;
        var refusal = await reservations.ReserveAsync(wanted, held, context.Response.Headers, context.RequestAborted);
        if (refusal is null) reservations.WriteHeaders(held, context.Response.Headers);
        return refusal;
    }

    async Task ServeAsync(HttpContext context, GatewayCaller caller, GatewayRequest request, ModelRoute route, IReadOnlyList<Deployment> plan, GatewayCall call)
    {

        string? cacheKey = null;
        TimeSpan? cacheTtl = request.Stream ? null : cache.TtlFor(context.Request, caller.Customer?.Plan);
        if (cacheTtl is not null)
        {
            cacheKey = ResponseCache.Key(caller.Customer?.CustomerId ?? caller.Key.Id, request.OperationName, route.Alias, JsonSerializer.SerializeToUtf8Bytes(request.Body, WireJson.Options));
            if (cache.Get(cacheKey) is { } hit)
            {
                await AnswerFromCacheAsync(context, call, hit);
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
                log.LogWarning("Attempt {Attempt} of {RequestId} at {Provider} failed: {Error}", call.Attempts, call.RequestId, deployment.Provider.Name, failure.Code);
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
                        log.LogWarning("Attempt {Attempt} of {RequestId} at {Provider} answered {Status}.", call.Attempts, call.RequestId, deployment.Provider.Name, (int)response.StatusCode);
                        continue;
                    }

                    break;
                }

                if (request.Stream) await StreamAsync(context, caller, request, call, deployment, response, timeout);
                else await RespondAsync(context, caller, request, call, deployment, response, timeout, cacheKey, cacheTtl);
                return;
            }
        }

        await FailAsync(context, call, request.Protocol, failure ?? new GatewayError(502, "no_deployment", $"No deployment could serve '{request.Model}'."),
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

    async Task RespondAsync(
        HttpContext context, GatewayCaller caller, GatewayRequest request, GatewayCall call, Deployment deployment,
        HttpResponseMessage response, CancellationTokenSource timeout, string? cacheKey, TimeSpan? cacheTtl)
    {
        byte[] upstreamBody;
        try
        {
            upstreamBody = await UpstreamBody.ReadAsync(response.Content, _options.MaxResponseBytes, timeout.Token);
        }
        catch (UpstreamTooLargeException e)
        {
            log.LogWarning("Provider {Provider} sent more than {Limit} bytes for {RequestId}; its answer was dropped.", deployment.Provider.Name, _options.MaxResponseBytes, call.RequestId);
            await FailAsync(context, call, request.Protocol, new GatewayError(502, "upstream_response_too_large", e.Message));
            return;
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && timeout.IsCancellationRequested))
        {
            await FailAsync(context, call, request.Protocol, new GatewayError(502, "upstream_incomplete", $"The provider '{deployment.Provider.Name}' broke off its answer."));
            return;
        }

        byte[] body;
        TokenUsage tokens;
        try
        {
            (body, tokens) = Answer(request, deployment, upstreamBody);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            log.LogWarning("Provider {Provider} sent an answer that is not valid JSON for {RequestId}.", deployment.Provider.Name, call.RequestId);
            await FailAsync(context, call, request.Protocol, new GatewayError(502, "upstream_invalid_response", $"The provider '{deployment.Provider.Name}' sent an answer that is not valid JSON."));
            return;
        }

        call.Usage = tokens;
        call.Cost = prices.Price(deployment, request.Model, caller.Customer?.Plan, tokens);
        call.Status = UsageStatus.Ok;
        call.HttpStatus = 200;
        call.FirstTokenTimestamp = time.GetTimestamp();
        if (cacheKey is not null)
        {
            cache.Put(cacheKey, new ResponseCache.Entry(body, deployment.Model, deployment.Provider.Name, tokens, call.Cost, time.GetUtcNow().Add(cacheTtl!.Value).UtcTicks));
            context.Response.Headers["x-tollgate-cache"] = "miss";
        }

        WriteHeaders(context.Response, deployment, call.Cost);
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.Length;
        await RecordAsync(call);
        await WriteToClientAsync(context, body);
    }

    /// <summary>The answer in the client's format and the usage it reports.</summary>
    (byte[] Body, TokenUsage Usage) Answer(GatewayRequest request, Deployment deployment, byte[] upstreamBody)
    {
        using var doc = JsonDocument.Parse(upstreamBody);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new JsonException("The answer is not a JSON object.");
        var upstream = deployment.Provider.Protocol;
        if (upstream == request.Protocol)
        {
            var usageElement = root.TryGetProperty("usage", out var u) ? u : default;
            var tokens = upstream == GatewayProtocol.Anthropic ? UsageReader.FromAnthropic(usageElement) : UsageReader.FromOpenAI(usageElement);
            if (request.Operation == GatewayOperation.ImageGenerations && root.TryGetProperty("data", out var images) && images.ValueKind == JsonValueKind.Array)
            {
                tokens = tokens with { Images = images.GetArrayLength() };
            }

            return (upstreamBody, tokens);
        }

        TokenUsage translated;
        JsonObject answer = request.Protocol == GatewayProtocol.OpenAI
            ? AnthropicForOpenAIClients.Response(root, request.Model, Json.UnixNow(time), out translated)
            : OpenAIForAnthropicClients.Response(root, request.Model, out translated);
        return (JsonSerializer.SerializeToUtf8Bytes(answer, WireJson.Options), translated);
    }

    async Task AnswerFromCacheAsync(HttpContext context, GatewayCall call, ResponseCache.Entry hit)
    {
        call.CacheHit = true;
        call.Usage = hit.Usage;
        call.Cost = cache.HitCost(hit.Cost);
        call.Status = UsageStatus.Ok;
        call.HttpStatus = 200;
        call.Served = null;
        context.Response.Headers["x-tollgate-cache"] = "hit";
        context.Response.Headers["x-tollgate-provider"] = hit.Provider;
        context.Response.Headers["x-tollgate-model"] = hit.ServedModel;
        context.Response.Headers[CostHeader] = call.Cost.ChargeDollars;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = hit.Body.Length;
        await RecordAsync(call);
        await WriteToClientAsync(context, hit.Body);
    }

    async Task StreamAsync(
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
        WriteHeaders(client, deployment, null);
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
                clientGone = !await WriteToClientAsync(context, output.Written, flush: !reader.HasBufferedEvent);
                output.Clear();
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && timeout.IsCancellationRequested))
        {
            log.LogWarning("The stream of {RequestId} from {Provider} broke off: {Error}", call.RequestId, deployment.Provider.Name, e.GetType().Name);
            tooLarge = e is UpstreamTooLargeException;
        }

        relay.OnEnd(output);
        call.Usage = relay.UsageReported
            ? relay.Usage
            : new TokenUsage(
                Input: call.Estimate?.InputTokens ?? TokenEstimate.OfBytes(request.BodyBytes),
                Output: TokenCounter.Count(TokenCounter.For(deployment), relay.Delivered.ToString()));
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

        await RecordAsync(call);
        if (clientGone) return;
        output.WriteComment($"tollgate-cost: {call.Cost.ChargeDollars} USD");
        await WriteToClientAsync(context, output.Written, flush: true);
    }

    void WriteHeaders(HttpResponse response, Deployment deployment, Cost? cost)
    {
        response.Headers["x-tollgate-provider"] = deployment.Provider.Name;
        response.Headers["x-tollgate-model"] = deployment.Model;
        if (deployment.Provider.Kind == ProviderKind.Sandbox) response.Headers["x-tollgate-sandbox"] = "true";
        if (cost is { } c) response.Headers[CostHeader] = c.ChargeDollars;
    }

    /// <summary>Answers with an error and notes it on the call's usage record.</summary>
    async Task FailAsync(HttpContext context, GatewayCall call, GatewayProtocol protocol, GatewayError error, string status = UsageStatus.UpstreamError)
    {
        call.Status = status;
        call.HttpStatus = error.Status;
        call.ErrorCode = error.Code;
        await RecordAsync(call);
        await error.WriteAsync(context, protocol);
    }

    /// <summary>Writes to the client; false when the client has gone, which ends writing but not billing.</summary>
    static async ValueTask<bool> WriteToClientAsync(HttpContext context, ReadOnlyMemory<byte> data, bool flush = false)
    {
        try
        {
            await context.Response.Body.WriteAsync(data, context.RequestAborted);
            if (flush) await context.Response.Body.FlushAsync(context.RequestAborted);
            return true;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            return false;
        }
    }
}
