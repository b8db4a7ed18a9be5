namespace Tollgate.Metering;

/// <summary>
/// One unit of usage, as stored: counted exactly once per customer and <see cref="IdempotencyKey"/> (the sender's own
/// event id), in the period of <see cref="OccurredAt"/> whenever it arrives.
/// </summary>
public sealed record UsageEvent
{
    public required string Id { get; init; }
    public required string CustomerId { get; init; }

    /// <summary>The sender's id for the event; a retry with the same one is a duplicate.</summary>
    public required string IdempotencyKey { get; init; }

    /// <summary>What happened (<c>query</c>, <c>gateway</c>…); metrics read the events of one code.</summary>
    public required string Code { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
    public required EventProperties Properties { get; init; }

    /// <summary><c>api</c> for events sent to <c>/events</c>, <c>gateway</c> for those the gateway records itself.</summary>
    public required string Source { get; init; }
    public string? KeyId { get; init; }
    public required DateTimeOffset ReceivedAt { get; init; }
}

/// <summary>An event as sent to <c>POST /events</c>: the customer by Tollgate id or the operator's external id.</summary>
public sealed record EventInput(
    string? Id,
    string? Code,
    string? CustomerId = null,
    string? ExternalCustomerId = null,
    DateTimeOffset? Timestamp = null,
    EventProperties? Properties = null);

public sealed record EventBatch(List<EventInput>? Events);

public static class EventStatus
{
    public const string Accepted = "accepted";
    public const string Duplicate = "duplicate";
    public const string Rejected = "rejected";
}

/// <summary>What became of one sent event: <c>accepted</c>, <c>duplicate</c> (counted already) or <c>rejected</c> (never counted).</summary>
public sealed record EventResult(int Index, string? Id, string Status, string? EventId = null, EventRejection? Error = null);

public sealed record EventRejection(string Code, string Message);

public sealed record BatchResult(int Accepted, int Duplicates, int Rejected, IReadOnlyList<EventResult> Results);
