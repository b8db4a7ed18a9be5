namespace Tollgate.Common;

/// <summary>
/// A cache bounded by entries and by a size of its values' choosing (bytes, say): when full, the least recently used
/// entries make room, one by one, never all of them at once. Thread-safe under one lock, for short operations.
/// </summary>
public sealed class LruCache<TKey, TValue>(int maxEntries, long maxSize, Func<TKey, TValue, long> sizeOf) where TKey : notnull
{
    readonly Lock _gate = new();
    readonly Dictionary<TKey, LinkedListNode<(TKey Key, TValue Value, long Size)>> _byKey = new();
    readonly LinkedList<(TKey Key, TValue Value, long Size)> _recency = new(); // most recently used first
    long _size;

    public int Count
    {
        get
        {
            lock (_gate) return _byKey.Count;
        }
    }

    /// <summary>The value, made the most recently used; <paramref name="keep"/> false drops it instead (it expired, say).</summary>
    public bool TryGet(TKey key, out TValue value, Func<TValue, bool>? keep = null)
    {
        lock (_gate)
        {
            if (_byKey.TryGetValue(key, out var node))
            {
                if (keep is null || keep(node.Value.Value))
                {
                    _recency.Remove(node);
                    _recency.AddFirst(node);
                    value = node.Value.Value;
                    return true;
                }

                Remove(node);
            }
        }

        value = default!;
        return false;
    }

    /// <summary>Keeps the value, the least recently used going until it fits; a value larger than the whole cache is not kept.</summary>
    public void Set(TKey key, TValue value)
    {
        var size = sizeOf(key, value);
        if (size > maxSize || maxEntries <= 0) return;
        lock (_gate)
        {
            if (_byKey.TryGetValue(key, out var existing)) Remove(existing);
            while (_recency.Last is { } oldest && (_byKey.Count >= maxEntries || _size + size > maxSize)) Remove(oldest);
            _byKey[key] = _recency.AddFirst((key, value, size));
            _size += size;
        }
    }

    public bool Remove(TKey key)
    {
        lock (_gate)
        {
            if (!_byKey.TryGetValue(key, out var node)) return false;
            Remove(node);
            return true;
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _byKey.Clear();
            _recency.Clear();
            _size = 0;
        }
    }

    void Remove(LinkedListNode<(TKey Key, TValue Value, long Size)> node)
    {
        _recency.Remove(node);
        _byKey.Remove(node.Value.Key);
        _size -= node.Value.Size;
    }
}
