namespace Tollgate.ApiKeys;

/// <summary>
/// Answers "may this secret be used now?" from memory; only a key this node has never seen
/// (created on another node, or by the CLI) costs one database lookup.
/// </summary>
public sealed class ApiKeyVerifier(ApiKeyCache cache, ApiKeyStore store, TimeProvider time)
{
    /// <summary>The in-memory path, all of it: shape, hash, lookup, judgement.</summary>
    public KeyVerification VerifyCached(ReadOnlySpan<char> secret, out KeyHash hash, out bool needsLookup)
    {
        needsLookup = false;
        hash = default;
        if (secret.IsEmpty) return new(KeyVerdict.Missing, null);
        if (!ApiKeySecret.TryParse(secret, out _, out _)) return new(KeyVerdict.Malformed, null);

        hash = KeyHash.Of(secret);
        var now = time.GetUtcNow();
        if (cache.TryGet(hash, out var entry)) return KeyVerification.Judge(entry, now);
        needsLookup = !cache.IsKnownUnknown(hash, now.UtcTicks);
        return new(KeyVerdict.Unknown, null);
    }

    public async ValueTask<KeyVerification> VerifyAsync(string? secret, CancellationToken ct)
    {
        var verification = VerifyCached(secret, out var hash, out var needsLookup);
        if (!needsLookup) return verification;

        var generation = cache.Generation;
        var entry = await store.FindEntryByHashAsync(hash, ct);
        var now = time.GetUtcNow();
        if (entry is null)
        {
            cache.MarkUnknown(hash, now);
            return new(KeyVerdict.Unknown, null);
        }

        cache.PutRead(hash, entry, generation);
        return KeyVerification.Judge(entry, now);
    }
}
