namespace Tollgate.ApiKeys;

public enum KeyVerdict
{
    Valid,
    Missing,
    Malformed,
    Unknown,
    Expired,
    Revoked,
}

public readonly record struct KeyVerification(KeyVerdict Verdict, ApiKeyEntry? Key)
{
    /// <summary>The pure decision: is this known key usable at <paramref name="now"/>?</summary>
    public static KeyVerification Judge(ApiKeyEntry? key, DateTimeOffset now) => key switch
    {
        null => new(KeyVerdict.Unknown, null),
        { RevokedAt: { } revoked } when revoked <= now => new(KeyVerdict.Revoked, key),
        { ExpiresAt: { } expires } when expires <= now => new(KeyVerdict.Expired, key),
        _ => new(KeyVerdict.Valid, key),
    };
}
