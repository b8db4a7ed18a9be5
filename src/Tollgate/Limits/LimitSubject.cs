namespace Tollgate.Limits;

/// <summary>
/// Who one limit counts a request against: the customer, the key, or an end user of the customer (or of the key, for
/// limits set on a key). <see cref="Id"/> names the counter's subject; the rest selects the usage records behind it.
/// </summary>
public sealed record LimitSubject(string Id, string? CustomerId, string? KeyId, string? EndUser)
{
    /// <summary>The subject a request falls under, or null when the limit does not apply to it (no customer, key or end user).</summary>
    public static LimitSubject? Of(Limit limit, string? customerId, string? keyId, string? endUser) => limit.Per switch
    {
        LimitPer.Customer => customerId is null ? null : new($"customer:{customerId}", customerId, null, null),
        LimitPer.Key => keyId is null ? null : new($"key:{keyId}", null, keyId, null),
        _ when endUser is null => null,
        _ when limit.Scope == LimitScope.Key => keyId is null ? null : new($"end_user:{keyId}/{endUser}", null, keyId, endUser),
        _ => customerId is null ? null : new($"end_user:{customerId}/{endUser}", customerId, null, endUser),
    };
}
