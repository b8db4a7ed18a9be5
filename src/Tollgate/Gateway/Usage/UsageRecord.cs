namespace Tollgate.Gateway.Usage;

/// <summary>
/// Exactly one per gateway request, whatever happened to it: who called, which model was asked for and which served it,
/// the tokens the provider reported, how it ended, how long it took, and what it cost at which price table.
/// </summary>
public sealed record UsageRecord
{
    /// <summary>The request id, also sent to the client as <c>x-request-id</c>.</summary>
    public required string Id { get; init; }
    public string? CustomerId { get; init; }
    public required string KeyId { get; init; }

    /// <summary><c>live</c> or <c>test</c>, from the key.</summary>
    public required string Mode { get; init; }
    public string? EndUser { get; init; }

    /// <summary><c>chat.completions</c>, <c>messages</c>, <c>embeddings</c> or <c>images.generations</c>.</summary>
    public required string Operation { get; init; }
    public required string RequestedModel { get; init; }
    public string? ServedModel { get; init; }
    public string? Provider { get; init; }
    public long InputTokens { get; init; }
    public long OutputTokens { get; init; }
    public long CachedTokens { get; init; }
    public long CacheWriteTokens { get; init; }
    public long ReasoningTokens { get; init; }
    public int Images { get; init; }

    /// <summary>See <see cref="UsageStatus"/>.</summary>
    public required string Status { get; init; }
    public int HttpStatus { get; init; }
    public string? ErrorCode { get; init; }
    public bool Streamed { get; init; }

    /// <summary>Whether the tokens are Tollgate's estimate because the provider never reported them (a cut stream).</summary>
    public bool UsageEstimated { get; init; }
    public bool CacheHit { get; init; }
    public int Attempts { get; init; }
    public long LatencyMs { get; init; }
    public long? TimeToFirstTokenMs { get; init; }

    /// <summary>The provider's list price of this request, in billionths of a US dollar.</summary>
    public long CostNanos { get; init; }

    /// <summary>What the customer is charged for it, after the plan's markup, in billionths of a US dollar.</summary>
    public long ChargeNanos { get; init; }
    public required string PriceVersion { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}
