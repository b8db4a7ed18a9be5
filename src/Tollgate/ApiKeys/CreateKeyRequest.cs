namespace Tollgate.ApiKeys;

public sealed record CreateKeyRequest(
    string? Name,
    string? Description = null,
    string? CustomerId = null,
    KeyKind? Kind = null,
    KeyMode? Mode = null,
    IReadOnlyList<string>? Scopes = null,
    DateTimeOffset? ExpiresAt = null);

public sealed record RotateKeyRequest(int? OverlapSeconds = null, DateTimeOffset? ExpiresAt = null);

/// <summary>A checked request for a new key: everything needed to create it.</summary>
public sealed record NewKey(
    KeyKind Kind,
    KeyMode Mode,
    string? CustomerId,
    string Name,
    string? Description,
    IReadOnlyList<string> Scopes,
    DateTimeOffset? ExpiresAt,
    string? RotatedFrom = null);
