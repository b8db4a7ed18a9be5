namespace Tollgate.Storage;

/// <summary>This process among the nodes sharing a database: a new id each time it starts.</summary>
public sealed class NodeIdentity
{
    public string Id { get; } = "node_" + Guid.NewGuid().ToString("N");
}
