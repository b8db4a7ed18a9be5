using System.Data.Common;
using System.Runtime.CompilerServices;

namespace Tollgate.Storage;

/// <summary>
/// Rows a batch of small changes will look up one by one, read in one query before it starts and kept for the batch's
/// transaction (the webhook receiver's group commit: on PostgreSQL an event's time is in its round trips). A key read
/// ahead and not found is kept too, as absent. Whoever writes such a row in the transaction keeps it current
/// (<see cref="Set"/>), so a lookup reads what the transaction wrote. The batch's owner opens it and closes it: a
/// transaction object may be reused once committed (Npgsql keeps one per connection), so it never outlives its scope.
/// </summary>
public sealed class ReadAhead<TKey, TValue> where TKey : notnull
{
    readonly ConditionalWeakTable<DbTransaction, Dictionary<TKey, TValue>> _open = new();

    /// <summary>Keeps <paramref name="rows"/> for <paramref name="transaction"/> until disposed.</summary>
    public IDisposable Begin(DbTransaction transaction, Dictionary<TKey, TValue> rows)
    {
        _open.AddOrUpdate(transaction, rows);
        return new Close(this, transaction);
    }

    /// <summary>The row kept for <paramref name="key"/> (possibly absent: <c>default</c>); false when it was not read ahead.</summary>
    public bool TryGet(DbTransaction transaction, TKey key, out TValue value)
    {
        value = default!;
        return _open.TryGetValue(transaction, out var rows) && rows.TryGetValue(key, out value!);
    }

    /// <summary>The row as the transaction just wrote it, when rows are kept for it.</summary>
    public void Set(DbTransaction transaction, TKey key, TValue value)
    {
        if (_open.TryGetValue(transaction, out var rows)) rows[key] = value;
    }

    sealed class Close(ReadAhead<TKey, TValue> owner, DbTransaction transaction) : IDisposable
    {
        public void Dispose() => owner._open.Remove(transaction);
    }
}
