using Tollgate.Gateway.Pricing;
using Tollgate.Gateway.Reservations;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Usage;
using Tollgate.Metering;

namespace Tollgate.Gateway;

/// <summary>What happened to one request so far; becomes its one <see cref="UsageRecord"/> when it ends, however it ends.</summary>
sealed class GatewayCall(string requestId, GatewayCaller caller, string operation, string requestedModel, long startedTimestamp, DateTimeOffset startedAt)
{
    public string RequestId => requestId;
    public string? EndUser { get; set; }
    public Deployment? Served { get; set; }
    public TokenUsage Usage { get; set; }
    public Cost Cost { get; set; }
    /// <summary>Not run until a provider is called: a request that ends before that (however it ends) is never billed.</summary>
    public string Status { get; set; } = UsageStatus.NotRun;
    public int HttpStatus { get; set; }
    public string? ErrorCode { get; set; }
    public bool Streamed { get; set; }
    public bool UsageEstimated { get; set; }
    public bool CacheHit { get; set; }
    public int Attempts { get; set; }
    public long? FirstTokenTimestamp { get; set; }

    /// <summary>The worst case reserved before it ran; its prompt count is billed for a stream cut before its usage arrived.</summary>
    public RequestEstimate? Estimate { get; set; }

    /// <summary>Room held on counters for this call, settled to its real usage when it is recorded.</summary>
    public List<Reservation> Held { get; } = [];

    /// <summary>Whether its usage record has been written (it is written once, whatever happens after).</summary>
    public bool Recorded { get; set; }

    public UsageRecord ToRecord(TimeProvider time) => new()
    {
        Id = requestId,
        CustomerId = caller.Customer?.CustomerId,
        KeyId = caller.Key.Id,
        Mode = caller.Mode,
        EndUser = RecordText.Clean(EndUser),
        Operation = operation,
        RequestedModel = RecordText.Clean(requestedModel)!,
        ServedModel = Served?.Model,
        Provider = Served?.Provider.Name,
        InputTokens = Usage.Input,
        OutputTokens = Usage.Output,
        CachedTokens = Usage.CachedInput,
        CacheWriteTokens = Usage.CacheWrite,
        ReasoningTokens = Usage.Reasoning,
        Images = Usage.Images,
        Status = Status,
        HttpStatus = HttpStatus,
        ErrorCode = ErrorCode,
        Streamed = Streamed,
        UsageEstimated = UsageEstimated,
        CacheHit = CacheHit,
        Attempts = Attempts,
        LatencyMs = (long)time.GetElapsedTime(startedTimestamp).TotalMilliseconds,
        TimeToFirstTokenMs = FirstTokenTimestamp is { } first ? (long)time.GetElapsedTime(startedTimestamp, first).TotalMilliseconds : null,
        CostNanos = Cost.CostNanos,
        ChargeNanos = Cost.ChargeNanos,
        PriceVersion = Cost.PriceVersion,
        CreatedAt = startedAt,
    };
}
