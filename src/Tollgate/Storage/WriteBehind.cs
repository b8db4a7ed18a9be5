using System.Data.Common;
using System.Runtime.CompilerServices;
using Npgsql;

namespace Tollgate.Storage;

/// <summary>
/// Rows a group commit writes at its end instead of as it goes: the audit entries and outbox messages of the many small
/// changes in one transaction (the webhook receiver's batch), and its own rows, written by one statement per table
/// just before the commit, all in one round trip to PostgreSQL instead of one or more per change. Only rows that nothing reads back in the same transaction
/// belong here (<see cref="Outbox"/>, <see cref="Audit.AuditLog"/>); their ids and times are fixed when they are
/// recorded, so they read back afterwards as if written one by one. Rows recorded on a transaction without one are
/// written at once, as before.
/// </summary>
public sealed class WriteBehind : IDisposable
{
    static readonly ConditionalWeakTable<DbTransaction, WriteBehind> Open = new();

    readonly DbTransaction _transaction;
    readonly List<IBucket> _buckets = [];

    WriteBehind(DbTransaction transaction) => _transaction = transaction;

    /// <summary>Holds the rows recorded on <paramref name="transaction"/> until <see cref="FlushAsync"/>; disposing it without a flush drops them (the transaction rolls back).</summary>
    public static WriteBehind Begin(DbTransaction transaction)
    {
        var later = new WriteBehind(transaction);
        Open.AddOrUpdate(transaction, later);
        return later;
    }

    /// <summary>
    /// Inserts <paramref name="rows"/> now, or, when <paramref name="transaction"/> holds rows back, with its others
    /// at its end (a duplicate key is skipped either way: <see cref="BulkInsert.InsertNewAsync{T}"/>).
    /// </summary>
    public static Task InsertAsync<T>(DbTransaction transaction, string table, string conflict, IReadOnlyList<BulkColumn<T>> columns, IReadOnlyList<T> rows)
    {
        if (!Open.TryGetValue(transaction, out var later)) return BulkInsert.InsertNewAsync(transaction.Connection!, transaction, table, conflict, columns, rows, CancellationToken.None);
        later.Hold(table, conflict, columns, null, rows);
        return Task.CompletedTask;
    }

    /// <summary>Rows to write at the end, each inserted or, where its key is there already, setting the columns <paramref name="set"/> (<see cref="BulkInsert.UpsertAsync{T}"/>).</summary>
    public void Upsert<T>(string table, string conflict, IReadOnlyList<BulkColumn<T>> columns, IReadOnlyList<string> set, IReadOnlyList<T> rows) =>
        Hold(table, conflict, columns, set, rows);

    void Hold<T>(string table, string conflict, IReadOnlyList<BulkColumn<T>> columns, IReadOnlyList<string>? set, IReadOnlyList<T> rows)
    {
        var bucket = _buckets.OfType<Bucket<T>>().FirstOrDefault(b => ReferenceEquals(b.Columns, columns) && b.Table == table && b.Set == set);
        if (bucket is null) _buckets.Add(bucket = new Bucket<T>(table, conflict, columns, set));
        bucket.Rows.AddRange(rows);
    }

    /// <summary>Writes every row held back, one statement per table, all in one round trip on PostgreSQL; it holds no more after.</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        Open.Remove(_transaction);
        var buckets = _buckets.Where(b => b.Count > 0).ToList();
        _buckets.Clear();
        if (buckets.Count == 0) return;
        if (_transaction is NpgsqlTransaction postgres)
        {
            await using var batch = new NpgsqlBatch(postgres.Connection, postgres);
            foreach (var bucket in buckets) batch.BatchCommands.Add(bucket.PostgresCommand());
            await batch.ExecuteNonQueryAsync(ct);
            return;
        }

        foreach (var bucket in buckets) await bucket.WriteAsync(_transaction, ct);
    }

    public void Dispose() => Open.Remove(_transaction);

    interface IBucket
    {
        int Count { get; }
        NpgsqlBatchCommand PostgresCommand();
        Task WriteAsync(DbTransaction transaction, CancellationToken ct);
    }

    sealed class Bucket<T>(string table, string conflict, IReadOnlyList<BulkColumn<T>> columns, IReadOnlyList<string>? set) : IBucket
    {
        public string Table => table;
        public IReadOnlyList<BulkColumn<T>> Columns => columns;
        public IReadOnlyList<string>? Set => set;
        public List<T> Rows { get; } = [];
        public int Count => Rows.Count;

        public NpgsqlBatchCommand PostgresCommand() => BulkInsert.PostgresCommand(table, conflict, columns, Rows, set);

        public Task WriteAsync(DbTransaction transaction, CancellationToken ct) => set is null
            ? BulkInsert.InsertNewAsync(transaction.Connection!, transaction, table, conflict, columns, Rows, ct)
            : BulkInsert.UpsertAsync(transaction, table, conflict, columns, Rows, set, ct);
    }
}
