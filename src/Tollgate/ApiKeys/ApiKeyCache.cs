using System.Collections.Concurrent;

namespace Tollgate.ApiKeys;

/// <summary>
/// Every key this node knows, by hash, so verifying a key never waits on the database. Each copy remembers when it was
/// read: one older than <see cref="RevalidateAfter"/> is still answered from memory, and read again in the background,
/// so a revocation whose notification never arrived is in force within that bound. Unknown hashes are remembered
/// briefly so a flood of bad keys cannot turn into a flood of queries.
/// </summary>
public sealed class ApiKeyCache(TimeProvider time)
{
    /// <summary>How long a cached key is trusted without being read again, notifications or not.</summary>
    public static readonly TimeSpan RevalidateAfter = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan NegativeTtl = TimeSpan.FromSeconds(5);
    public const int MaxNegativeEntries = 100_000;

    readonly ConcurrentDictionary<KeyHash, (ApiKeyEntry Entry, long ReadAtTicks)> _byHash = new();
    readonly ConcurrentDictionary<string, KeyHash> _hashById = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<KeyHash, long> _unknownUntil = new();
    readonly Lock _forget = new();
    long _generation;

    /// <summary>Changes whenever keys are forgotten; a lookup that began before a change must not cache what it read.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public int Count => _byHash.Count;

    public bool TryGet(in KeyHash hash, out ApiKeyEntry entry) => TryGet(hash, out entry, out _);

    /// <summary>The cached key, and whether it is due to be read again (older than <see cref="RevalidateAfter"/>).</summary>
    public bool TryGet(in KeyHash hash, out ApiKeyEntry entry, out bool stale)
    {
        if (_byHash.TryGetValue(hash, out var cached))
        {
            entry = cached.Entry;
            stale = time.GetUtcNow().UtcTicks - cached.ReadAtTicks > RevalidateAfter.Ticks;
            return true;
        }

        entry = null!;
        stale = false;
        return false;
    }

    /// <summary>Caches what a lookup read, unless keys were forgotten since it began (<paramref name="generation"/>): it may have read a row from before the change.</summary>
    public void PutRead(KeyHash hash, ApiKeyEntry entry, long generation)
    {
        lock (_forget)
        {
            if (Generation == generation) Put(hash, entry);
        }
    }

    public void Put(KeyHash hash, ApiKeyEntry entry)
    {
        _byHash[hash] = (entry, time.GetUtcNow().UtcTicks);
        _hashById[entry.Id] = hash;
        _unknownUntil.TryRemove(hash, out _);
    }

    /// <summary>Forgets key <paramref name="id"/>, which changed: its next use reads it again.</summary>
    public void Remove(string id)
    {
        lock (_forget)
        {
            Interlocked.Increment(ref _generation);
            if (_hashById.TryRemove(id, out var hash)) _byHash.TryRemove(hash, out _);
        }
    }

    /// <summary>Forgets every key; each is read again on its next use.</summary>
    public void Clear()
    {
        lock (_forget)
        {
            Interlocked.Increment(ref _generation);
            _byHash.Clear();
            _hashById.Clear();
        }
    }

    public bool IsKnownUnknown(in KeyHash hash, long nowTicks) =>
        _unknownUntil.TryGetValue(hash, out var until) && until > nowTicks;

    /// <summary>
    /// Remembers an unknown hash for <see cref="NegativeTtl"/>. When the set is full, expired entries go; if it is still
    /// full (a flood of fresh keys), the new one is not remembered, so the hashes already held (those being hammered)
    /// keep protecting the database instead of all being forgotten at once.
    /// </summary>
    public void MarkUnknown(in KeyHash hash, DateTimeOffset now)
    {
        var ticks = now.UtcTicks;
        if (_unknownUntil.Count >= MaxNegativeEntries)
        {
            foreach (var (known, until) in _unknownUntil)
            {
                if (until <= ticks) _unknownUntil.TryRemove(known, out _);
            }

            if (_unknownUntil.Count >= MaxNegativeEntries && !_unknownUntil.ContainsKey(hash)) return;
        }

        _unknownUntil[hash] = (now + NegativeTtl).UtcTicks;
    }
}
