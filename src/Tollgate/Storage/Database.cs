using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Tollgate.Storage;

/// <summary>Opens connections to the one configured database, SQLite or PostgreSQL.</summary>
public sealed class Database : IAsyncDisposable
{
    readonly NpgsqlDataSource? _postgres;
    readonly string _sqlite = "";

    public Database(ConnectionTarget target)
    {
        Target = target;
        DapperSetup.EnsureConfigured();
        if (target.Kind == DatabaseKind.Postgres)
        {
            _postgres = NpgsqlDataSource.Create(target.ConnectionString);
        }
        else
        {
            SqliteSetup.EnsureInitialized();
            var builder = new SqliteConnectionStringBuilder(target.ConnectionString)
            {
                ForeignKeys = true,
                Pooling = true,
                DefaultTimeout = SqliteBusyTimeoutSeconds,
            };
            var directory = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
            if (builder.Mode != SqliteOpenMode.Memory && !string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            _sqlite = builder.ConnectionString;
        }
    }

    public ConnectionTarget Target { get; }

    /// <summary>Announces the changes a transaction published (<see cref="TransactionChanges"/>); set by <see cref="ClusterChanges"/>.</summary>
    public IChangeAnnouncer? Announcer { get; set; }

    public DatabaseKind Kind => Target.Kind;

    /// <summary>Locks the selected rows until commit on PostgreSQL; SQLite's write transactions are already exclusive.</summary>
    public string ForUpdate => Kind == DatabaseKind.Postgres ? " FOR UPDATE" : "";

    /// <summary>"Is one of the list parameter <paramref name="parameter"/>" (<see cref="SqlList"/>); pass its value through <see cref="ListOf"/>.</summary>
    public string AnyOf(string parameter) => SqlList.AnyOf(Kind, parameter);

    /// <summary>A list parameter's value for <see cref="AnyOf"/>.</summary>
    public object ListOf<T>(IEnumerable<T> values) => SqlList.Of(Kind, values);

    public async Task<DbConnection> OpenAsync(CancellationToken ct = default)
    {
        if (_postgres is not null)
        {
            return await _postgres.OpenConnectionAsync(ct);
        }

        var connection = new SqliteConnection(_sqlite);
        await connection.OpenAsync(ct);
        return connection;
    }

    /// <summary>Runs <paramref name="work"/> in one transaction, committed only if it returns (and the <see cref="CommitGuard"/> agrees).</summary>
    public async Task<T> InTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct = default)
    {
        using var writer = await WriterAsync(ct);
        await using var connection = await OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
        using var changes = Announcer is null ? null : Common.TransactionChanges.Begin();
        var result = await work(connection, transaction);
        await CommitAsync(transaction, changes?.Pending, ct);
        return result;
    }

    /// <summary>Commits what a request wrote with its guard and its change notifications, and tells this node's caches.</summary>
    async Task CommitAsync(DbTransaction transaction, List<(Common.ChangeKind Kind, string? Id)>? changes, CancellationToken ct)
    {
        if (changes is { Count: > 0 } && Announcer is { } announcer) await announcer.InTransactionAsync(transaction, changes, ct);
        await CommitGuard.RunAsync(transaction, ct);
        await transaction.CommitAsync(ct);
        if (changes is { Count: > 0 }) Announcer?.Committed(changes);
    }

    /// <summary>Runs <paramref name="work"/> in one transaction, committed only if it succeeds: a failed result writes nothing.</summary>
    public async Task<Common.Result<T>> InTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<Common.Result<T>>> work, CancellationToken ct = default)
    {
        using var writer = await WriterAsync(ct);
        await using var connection = await OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
        using var changes = Announcer is null ? null : Common.TransactionChanges.Begin();
        var result = await work(connection, transaction);
        if (result.IsOk)
        {
            await CommitAsync(transaction, changes?.Pending, ct);
        }
        else
        {
            await transaction.RollbackAsync(ct);
        }
        return result;
    }

    /// <summary>
    /// As <see cref="InTransactionAsync{T}(Func{DbConnection, DbTransaction, Task{Common.Result{T}}}, CancellationToken)"/>,
    /// announcing <paramref name="change"/> with the commit: to the other nodes inside the transaction, to this one once it
    /// committed, never if it rolls back.
    /// </summary>
    public Task<Common.Result<T>> InTransactionAsync<T>(
        Common.ChangeFeed feed, Common.ChangeKind change, Func<DbConnection, DbTransaction, Task<Common.Result<T>>> work, CancellationToken ct = default) =>
        InTransactionAsync(async (connection, transaction) =>
        {
            var result = await work(connection, transaction);
            if (result.IsOk) feed.Publish(change);
            return result;
        }, ct);

    /// <summary>Runs <paramref name="work"/> in a transaction that is always rolled back: what it would write, unwritten (a dry run).</summary>
    public async Task<T> RehearseAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct = default)
    {
        using var writer = await WriterAsync(ct);
        await using var connection = await OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
        using var changes = Common.TransactionChanges.Begin(); // whatever it announces is dropped with it
        var result = await work(connection, transaction);
        await transaction.RollbackAsync(ct);
        return result;
    }

    /// <summary>
    /// SQLite's transactions begin immediate: one writer at a time on a file. The writers of this process queue for it
    /// here, in turn, instead of in SQLite's busy handler, which sleeps and retries (tens of milliseconds lost each time
    /// two meet, as the webhook dispatcher's fan-outs and records did). Other processes on the file still meet it there.
    /// A transaction that waits for one this process holds longer than the busy timeout fails, as SQLite's would.
    /// </summary>
    async Task<Writer?> WriterAsync(CancellationToken ct)
    {
        if (_postgres is not null) return null;
        var gate = Writers.GetOrAdd(_sqlite, _ => new SemaphoreSlim(1, 1));
        if (!await gate.WaitAsync(TimeSpan.FromSeconds(SqliteBusyTimeoutSeconds), ct))
            throw new TimeoutException("The SQLite database stayed locked by another transaction of this process for longer than the busy timeout.");
        return new Writer(gate);
    }

    /// <summary>
    /// This process's writer turn on SQLite (null on PostgreSQL), for a write made outside a transaction of
    /// <see cref="InTransactionAsync{T}(Func{DbConnection, DbTransaction, Task{T}}, CancellationToken)"/> (the gateway's
    /// counters, idempotency claims): held around the statement alone, it queues the write with the transactions
    /// instead of leaving it to lose every race to them in SQLite's busy handler.
    /// </summary>
    public async Task<IDisposable?> WriterTurnAsync(CancellationToken ct = default) => await WriterAsync(ct);

    /// <summary>
    /// A transaction for reads only, one snapshot for several statements: deferred on SQLite, so it takes no write lock
    /// (a plain <c>BeginTransaction</c> there begins immediate and queues behind every writer).
    /// </summary>
    public static async Task<DbTransaction> BeginReadAsync(DbConnection connection, CancellationToken ct = default) =>
        connection is SqliteConnection sqlite ? sqlite.BeginTransaction(deferred: true) : await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);

    const int SqliteBusyTimeoutSeconds = 30;
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> Writers = new(StringComparer.Ordinal);

    sealed class Writer(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }

    public ValueTask DisposeAsync() => _postgres?.DisposeAsync() ?? ValueTask.CompletedTask;
}
