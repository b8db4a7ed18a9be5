using Tollgate.ApiKeys;
using Tollgate.Common;
using Tollgate.Webhooks.Endpoints;

namespace Tollgate.Webhooks.Delivery;

/// <summary>Send one message again, or every message an endpoint hears since a time (<c>{"message_id"}</c> or <c>{"since"}</c>).</summary>
public sealed record ReplayRequest(string? MessageId, DateTimeOffset? Since);

/// <summary>How many messages were replayed; when there may be more, <c>next_since</c> to call again with.</summary>
public sealed record ReplayResult(int Replayed, bool HasMore, DateTimeOffset? NextSince = null);

/// <summary>
/// An endpoint's delivery log, and replays. A replayed message is due at once with its retries afresh, whether it was delivered, failed,
/// dropped or never sent there (an event from before the endpoint heard of it). At most <see cref="MostPerCall"/> a
/// call, oldest first; <c>has_more</c> says to call again with <c>since</c> set to <c>next_since</c> (a message at
/// that very time may be sent twice then, never skipped).
/// </summary>
public sealed class DeliveryHistory(WebhookEndpointService endpoints, DeliveryStore deliveries, TimeProvider time)
{
    public const int MostPerCall = 10_000;

    /// <summary>Every attempt to the endpoint, newest first, when the caller may see it.</summary>
    public async Task<Result<Page<WebhookAttempt>>> AttemptsAsync(Caller caller, string endpointId, PageRequest page, CancellationToken ct)
    {
        if (page.Check() is { } invalid) return invalid;
        var found = await endpoints.GetAsync(caller, endpointId, ct);
        if (!found.IsOk) return found.Error;
        return await deliveries.AttemptsAsync(endpointId, page, ct);
    }

    public async Task<Result<ReplayResult>> ReplayAsync(Caller caller, string endpointId, ReplayRequest request, CancellationToken ct)
    {
        if ((request.MessageId is null) == (request.Since is null)) return ApiError.Invalid("message_id", "give either message_id or since.");
        var found = await endpoints.GetAsync(caller, endpointId, ct);
        if (!found.IsOk) return found.Error;
        var endpoint = found.Value;
        if (endpoint.Status != "enabled") return ApiError.Conflict("webhook_endpoint_disabled", "The endpoint is disabled; enable it before replaying to it.");
        var now = time.GetUtcNow();
        if (request.MessageId is { } messageId)
        {
            if (!await deliveries.HearsAsync(endpoint, messageId, ct)) return ApiError.NotFound("message", messageId);
            return new ReplayResult(await deliveries.ReplayAsync(endpoint, [messageId], now, time, ct), false);
        }

        var (ids, next) = await deliveries.HeardSinceAsync(endpoint, request.Since!.Value, MostPerCall, ct);
        var replayed = await deliveries.ReplayAsync(endpoint, ids, now, time, ct);
        return new ReplayResult(replayed, next is not null, next);
    }
}
