using Tollgate.Metering;

namespace Tollgate.Gateway.Usage;

/// <summary>
/// The usage event of a gateway request, code <c>gateway</c>, keyed by the request id: metrics read tokens, requests,
/// images and cost from it like any event (<c>{"code": "input_tokens", "event": "gateway", "aggregation": "sum", "field": "input_tokens"}</c>).
/// It is never stored apart: the database reads it from the usage record (<see cref="GatewayEventSource"/>), and
/// <see cref="Values"/> reads the same properties in memory, for a reservation or a cached total to count a request
/// the way its metric will.
/// </summary>
public static class GatewayEvents
{
    public const string Code = EventRules.GatewayCode;

    /// <summary>Whether the record is a usage event: it has a customer and reached a model (<see cref="GatewayEventSource.IsEvent"/>, in memory).</summary>
    public static bool IsEvent(UsageRecord record) =>
        record.CustomerId is not null && record.Status is not (UsageStatus.Rejected or UsageStatus.NotRun);

    public static StoredUsage Stored(UsageRecord record) => new(record.CustomerId!, Code, record.CreatedAt, () => Values(record));

    /// <summary>The event's properties read straight from the record, as <see cref="GatewayEventSource"/> reads its columns: no JSON built.</summary>
    public static EventValues Values(UsageRecord record) => new RecordValues(record);

    sealed class RecordValues(UsageRecord r) : EventValues
    {
        public override string? Text(string name) => name switch
        {
            "model" => r.RequestedModel,
            "served_model" => r.ServedModel,
            "provider" => r.Provider,
            "operation" => r.Operation,
            "status" => r.Status,
            "mode" => r.Mode,
            "end_user" => r.EndUser,
            "key_id" => r.KeyId,
            "cache_hit" => r.CacheHit ? "true" : "false",
            "streamed" => r.Streamed ? "true" : "false",
            _ => Whole(name) is { } n ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
        };

        public override bool IsNumber(string name) => Whole(name) is not null;

        public override decimal? Number(string name) => Whole(name);

        long? Whole(string name) => name switch
        {
            "input_tokens" => r.InputTokens,
            "output_tokens" => r.OutputTokens,
            "cached_tokens" => r.CachedTokens,
            "reasoning_tokens" => r.ReasoningTokens,
            "total_tokens" => r.InputTokens + r.OutputTokens,
            "images" => r.Images,
            "cost_nanos" => r.CostNanos,
            "charge_nanos" => r.ChargeNanos,
            _ => null,
        };
    }
}
