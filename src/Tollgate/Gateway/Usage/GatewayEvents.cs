using System.Text.Json.Nodes;
using Tollgate.Metering;

namespace Tollgate.Gateway.Usage;

/// <summary>
/// The usage event of a gateway request, code <c>gateway</c>, keyed by the request id: metrics read tokens, requests,
/// images and cost from it like any event (<c>{"code": "input_tokens", "event": "gateway", "aggregation": "sum", "field": "input_tokens"}</c>).
/// It is never stored apart: the database reads it from the usage record (<see cref="GatewayEventSource"/>); these
/// are the same properties in memory, for a reservation to count a request the way its quota's metric will.
/// </summary>
public static class GatewayEvents
{
    public const string Code = EventRules.GatewayCode;

    /// <summary>Whether the record is a usage event: it has a customer and reached a model (<see cref="GatewayEventSource.IsEvent"/>, in memory).</summary>
    public static bool IsEvent(UsageRecord record) =>
        record.CustomerId is not null && record.Status is not (UsageStatus.Rejected or UsageStatus.NotRun);

    public static StoredUsage Stored(UsageRecord record) => new(record.CustomerId!, Code, record.CreatedAt, () => Properties(record));

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
