namespace Tollgate.ApiKeys;

/// <summary>
/// Answers "may this secret be used now?" from memory; only a key this node has never seen (created on another node,
/// or by the CLI) costs one database lookup, and a copy older than <see cref="ApiKeyCache.RevalidateAfter"/> is read
/// again in the background while its request goes on.
/// </summary>
public sealed partial class ApiKeyVerifier(ApiKeyCache cache, ApiKeyStore store, TimeProvider time, ILogger<ApiKeyVerifier> log)
{
    readonly Common.BackgroundRefresh<KeyHash> _revalidating = new();

    /// <summary>The in-memory path, all of it: shape, hash, lookup, judgement.</summary>
    public KeyVerification VerifyCached(ReadOnlySpan<char> secret, out KeyHash hash, out bool needsLookup)
    {
        needsLookup = false;
        hash = default;
        if (secret.IsEmpty) return new(KeyVerdict.Missing, null);
        if (!ApiKeySecret.TryParse(secret, out _, out _)) return new(KeyVerdict.Malformed, null);

        hash = KeyHash.Of(secret);
        var now = time.GetUtcNow();
        if (cache.TryGet(hash, out var entry, out var stale))
        {
            if (stale) Revalidate(hash, entry.Id);
            return KeyVerification.Judge(entry, now);
        }

        needsLookup = !cache.IsKnownUnknown(hash, now.UtcTicks);
        return new(KeyVerdict.Unknown, null);
    }

    void Revalidate(KeyHash hash, string id) => _revalidating.Start(
        hash,
        async () =>
        {
            var generation = cache.Generation;
            var entry = await store.FindEntryByHashAsync(hash, CancellationToken.None);
            if (entry is null) cache.Remove(id); // gone from the database: read (and refused) as unknown from now on
            else cache.PutRead(hash, entry, generation);
        },
        e => LogRevalidationFailed(log, e));

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Reading a cached API key again failed; its copy is kept until the next try")]
    static partial void LogRevalidationFailed(ILogger logger, Exception exception);

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
