namespace Tollgate.Common;

/// <summary>
/// Changes published while a transaction runs belong to it: <see cref="ChangeFeed.Publish"/> inside
/// <c>Database.InTransactionAsync</c> defers
/// them here; the database sends them to the other nodes inside the same transaction (PostgreSQL delivers a
/// <c>pg_notify</c> exactly when its transaction commits, never before and never without it) and tells this node's
/// caches once it has committed. A node that dies after its commit has already told the others.
/// </summary>
public static class TransactionChanges
{
    static readonly AsyncLocal<List<(ChangeKind Kind, string? Id)>?> Current = new();

    /// <summary>Keeps the change for the transaction of the calling flow; false outside one.</summary>
    public static bool TryDefer(ChangeKind kind, string? id)
    {
        if (Current.Value is not { } pending) return false;
        pending.Add((kind, id));
        return true;
    }

    internal static Scope Begin() => new(Current);

    internal sealed class Scope : IDisposable
    {
        readonly AsyncLocal<List<(ChangeKind, string?)>?> _slot;
        readonly List<(ChangeKind, string?)>? _outer;

        public Scope(AsyncLocal<List<(ChangeKind, string?)>?> slot)
        {
            _slot = slot;
            _outer = slot.Value;
            slot.Value = Pending;
        }

        public List<(ChangeKind Kind, string? Id)> Pending { get; } = [];

        public void Dispose() => _slot.Value = _outer;
    }
}
