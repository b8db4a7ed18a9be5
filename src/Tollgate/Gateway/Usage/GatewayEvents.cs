using System.Text.Json.Nodes;
using Tollgate.Metering;

namespace Tollgate.Gateway.Usage;

/// <summary>
/// The usage event of a gateway request, code <c>gateway</c>, keyed by the request id: metrics read tokens, requests,
/// images and cost from it like any event (<c>{"code": "input_tokens", "event": "gateway", "aggregation": "sum", "field": "input_tokens"}</c>).
/// </summary>
public static class GatewayEvents
{
    public const string Code = EventRules.GatewayCode;

    /// <summary>
    /// Requests of a customer become events, except those the gateway refused before any model ran (bad request,
    /// unknown model, quota used up): they used nothing, so no metric should count them. Their usage records stay.
    /// </summary>
    public static bool IsUsage(UsageRecord record) =>
        record.CustomerId is not null && record.Status is not (UsageStatus.Rejected or UsageStatus.NotRun);

    public static UsageEvent From(UsageRecord record) => new()
    {
        Id = "evt_" + record.Id,
        CustomerId = record.CustomerId!,
        IdempotencyKey = record.Id,
        Code = Code,
        OccurredAt = record.CreatedAt,
        Properties = EventProperties.From(Properties(record)),
        Source = Code,
        KeyId = record.KeyId,
        ReceivedAt = record.CreatedAt,
    };

    /// <summary>What metrics read of a gateway request: its models, status, tokens, images and cost.</summary>
    public static JsonObject Properties(UsageRecord record) => new()
    {
        ["model"] = record.RequestedModel,
        ["served_model"] = record.ServedModel,
        ["provider"] = record.Provider,
        ["operation"] = record.Operation,
        ["status"] = record.Status,
        ["mode"] = record.Mode,
        ["end_user"] = record.EndUser,
        ["key_id"] = record.KeyId,
        ["input_tokens"] = record.InputTokens,
        ["output_tokens"] = record.OutputTokens,
        ["cached_tokens"] = record.CachedTokens,
        ["reasoning_tokens"] = record.ReasoningTokens,
        ["total_tokens"] = record.InputTokens + record.OutputTokens,
        ["images"] = record.Images,
        ["cost_nanos"] = record.CostNanos,
        ["charge_nanos"] = record.ChargeNanos,
        ["cache_hit"] = record.CacheHit,
        ["streamed"] = record.Streamed,
    };
}
