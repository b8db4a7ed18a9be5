using System.Text.Json;

namespace Tollgate.Audit;

/// <summary>One admin change: who, when, what, and the resource before and after.</summary>
public sealed record AuditEntry
{
    public required string Id { get; init; }
    public required string ActorType { get; init; }
    public string? ActorId { get; init; }
    public required string Action { get; init; }
    public required string ResourceType { get; init; }
    public required string ResourceId { get; init; }
    public string? CustomerId { get; init; }
    public JsonElement? Before { get; init; }
    public JsonElement? After { get; init; }
    public string? RequestId { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}
