namespace Tollgate.Common;

/// <summary>What changed, for caches that hold copies of it.</summary>
public enum ChangeKind
{
    Customer,
    Catalog,
    Limit,
}

/// <summary>
/// Tells this node's in-memory caches that a record changed, after its transaction committed. Other nodes pick
/// changes up when their cached copies age out; cross-node notification (LISTEN/NOTIFY) plugs in here.
/// </summary>
public sealed class ChangeFeed
{
    public event Action<ChangeKind, string?>? Changed;

    public void Publish(ChangeKind kind, string? id = null) => Changed?.Invoke(kind, id);
}
