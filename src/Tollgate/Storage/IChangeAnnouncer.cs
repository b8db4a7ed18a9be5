using System.Data.Common;
using Tollgate.Common;

namespace Tollgate.Storage;

/// <summary>Sends a transaction's changes to other nodes inside it, and to this node's caches after its commit.</summary>
public interface IChangeAnnouncer
{
    Task InTransactionAsync(DbTransaction transaction, IReadOnlyList<(ChangeKind Kind, string? Id)> changes, CancellationToken ct);

    void Committed(IReadOnlyList<(ChangeKind Kind, string? Id)> changes);
}
