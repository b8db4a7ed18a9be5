using System.Data.Common;

namespace Tollgate.Storage;

/// <summary>
/// Work that must commit with whatever the current request writes, or not at all: <see cref="Database"/> runs the
/// guard of the current async flow inside each transaction just before it commits, and a guard that throws rolls the
/// transaction back. The idempotency layer uses it to mark its claim in the handler's own transaction.
/// </summary>
public static class CommitGuard
{
    static readonly AsyncLocal<Func<DbTransaction, CancellationToken, Task>?> Current = new();

    /// <summary>Installs <paramref name="guard"/> for the calling flow (and the flows it starts) until disposed.</summary>
    public static IDisposable Install(Func<DbTransaction, CancellationToken, Task> guard)
    {
        var previous = Current.Value;
        Current.Value = guard;
        return new Restore(previous);
    }

    /// <summary>Called by every commit that writes on behalf of a request, just before it commits.</summary>
    public static Task RunAsync(DbTransaction transaction, CancellationToken ct) =>
        Current.Value is { } guard ? guard(transaction, ct) : Task.CompletedTask;

    sealed class Restore(Func<DbTransaction, CancellationToken, Task>? previous) : IDisposable
    {
        public void Dispose() => Current.Value = previous;
    }
}
