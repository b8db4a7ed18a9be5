namespace Tollgate.ApiKeys;

/// <summary>What the request path needs to know about a key, held in memory on every node.</summary>
public sealed record ApiKeyEntry(
    string Id,
    KeyKind Kind,
    KeyMode Mode,
    string? CustomerId,
    IReadOnlyList<string> Scopes,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt)
{
    public bool HasScope(string scope)
    {
        foreach (var s in Scopes)
        {
            if (s == scope) return true;
        }

        return false;
    }
}
