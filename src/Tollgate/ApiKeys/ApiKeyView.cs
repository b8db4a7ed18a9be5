using System.Text.Json.Serialization;

namespace Tollgate.ApiKeys;

public enum KeyStatus
{
    Active,
    Expired,
    Revoked,
}

/// <summary>A key as the API shows it: never the secret, except once in <see cref="Secret"/> when it is created.</summary>
public sealed record ApiKeyView
{
    public required string Id { get; init; }
    public required KeyKind Kind { get; init; }
    public required KeyMode Mode { get; init; }
    public string? CustomerId { get; init; }
    public required string Name { get; init; }
    public string? Description { get; init; }

    /// <summary>Enough of the key to recognise it: its prefix, four characters, and its last four.</summary>
    public required string Display { get; init; }
    public required IReadOnlyList<string> Scopes { get; init; }
    public required KeyStatus Status { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
    public DateTimeOffset? LastUsedAt { get; init; }
    public string? RotatedFrom { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>The whole key, present only in the response that created it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Secret { get; init; }
}
