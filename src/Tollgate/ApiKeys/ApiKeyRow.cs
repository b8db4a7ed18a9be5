using Tollgate.Common;

namespace Tollgate.ApiKeys;

sealed record ApiKeyRow
{
    public string Id { get; init; } = "";
    public string Kind { get; init; } = "";
    public string Mode { get; init; } = "";
    public string? CustomerId { get; init; }
    public string Name { get; init; } = "";
    public string? Description { get; init; }
    public string DisplayPrefix { get; init; } = "";
    public string LastFour { get; init; } = "";
    public string KeyHash { get; init; } = "";
    public string Scopes { get; init; } = "[]";
    public DateTimeOffset? ExpiresAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
    public DateTimeOffset? LastUsedAt { get; init; }
    public string? RotatedFrom { get; init; }
    public string? CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }

    public KeyKind KindValue => Enum.Parse<KeyKind>(Kind, ignoreCase: true);

    public KeyMode ModeValue => Enum.Parse<KeyMode>(Mode, ignoreCase: true);

    public IReadOnlyList<string> ScopeList => ApiJson.Deserialize<string[]>(Scopes) ?? [];

    public ApiKeyEntry ToEntry() => new(Id, KindValue, ModeValue, CustomerId, ScopeList, ExpiresAt, RevokedAt);

    public ApiKeyView ToView(DateTimeOffset now) => new()
    {
        Id = Id,
        Kind = KindValue,
        Mode = ModeValue,
        CustomerId = CustomerId,
        Name = Name,
        Description = Description,
        Display = $"{DisplayPrefix}…{LastFour}",
        Scopes = ScopeList,
        Status = KeyVerification.Judge(ToEntry(), now).Verdict switch
        {
            KeyVerdict.Revoked => KeyStatus.Revoked,
            KeyVerdict.Expired => KeyStatus.Expired,
            _ => KeyStatus.Active,
        },
        ExpiresAt = ExpiresAt,
        RevokedAt = RevokedAt,
        LastUsedAt = LastUsedAt,
        RotatedFrom = RotatedFrom,
        CreatedAt = CreatedAt,
    };
}
