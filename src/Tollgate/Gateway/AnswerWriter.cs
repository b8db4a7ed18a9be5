using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Tollgate.Gateway.Pricing;
using Tollgate.Gateway.Protocols;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Translation;
using Tollgate.Metering;

namespace Tollgate.Gateway;

/// <summary>A whole (not streamed) answer: read within its size limit, translated to the client's format, priced, cached, recorded and sent.</summary>
sealed partial class AnswerWriter(PriceBook prices, ResponseCache cache, CallSettlement settlement, IOptions<GatewayOptions> options, TimeProvider time, ILogger<AnswerWriter> log)
{
    readonly GatewayOptions _options = options.Value;

    public async Task RespondAsync(
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
            LogTooLarge(log, deployment.Provider.Name, _options.MaxResponseBytes, call.RequestId);
            await settlement.FailAsync(context, call, request.Protocol, new GatewayError(502, "upstream_response_too_large", e.Message));
            return;
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && timeout.IsCancellationRequested))
        {
            await settlement.FailAsync(context, call, request.Protocol, new GatewayError(502, "upstream_incomplete", $"The provider '{deployment.Provider.Name}' broke off its answer."));
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
            LogInvalidJson(log, deployment.Provider.Name, call.RequestId);
            await settlement.FailAsync(context, call, request.Protocol, new GatewayError(502, "upstream_invalid_response", $"The provider '{deployment.Provider.Name}' sent an answer that is not valid JSON."));
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

        ClientWrites.Headers(context.Response, deployment, call.Cost);
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.Length;
        await settlement.RecordAsync(call);
        await ClientWrites.WriteAsync(context, body);
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

    public async Task FromCacheAsync(HttpContext context, GatewayCall call, ResponseCache.Entry hit)
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
        context.Response.Headers[GatewayHandler.CostHeader] = call.Cost.ChargeDollars;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = hit.Body.Length;
        await settlement.RecordAsync(call);
        await ClientWrites.WriteAsync(context, hit.Body);
    }

    [LoggerMessage(EventId = 5011, Level = LogLevel.Warning, Message = "Provider {Provider} sent more than {Limit} bytes for {RequestId}; its answer was dropped.")]
    static partial void LogTooLarge(ILogger logger, string provider, long limit, string requestId);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Warning, Message = "Provider {Provider} sent an answer that is not valid JSON for {RequestId}.")]
    static partial void LogInvalidJson(ILogger logger, string provider, string requestId);
}
