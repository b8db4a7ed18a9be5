using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Tollgate.Storage;

/// <summary>One column of a bulk insert: its name, and how to read it from a row on each database.</summary>
public sealed class BulkColumn<T>
{
    BulkColumn(string name, NpgsqlDbType postgresType, Func<IReadOnlyList<T>, object> postgresArray, Func<T, object?> sqliteValue)
    {
        Name = name;
        PostgresType = postgresType;
        PostgresArray = postgresArray;
        SqliteValue = sqliteValue;
    }

    public string Name { get; }
    internal NpgsqlDbType PostgresType { get; }
    internal Func<IReadOnlyList<T>, object> PostgresArray { get; }
    internal Func<T, object?> SqliteValue { get; }

    public static BulkColumn<T> Text(string name, Func<T, string?> value) =>
        new(name, NpgsqlDbType.Text, rows => Map(rows, value), r => value(r));

    public static BulkColumn<T> Long(string name, Func<T, long> value) =>
        new(name, NpgsqlDbType.Bigint, rows => Map(rows, value), r => value(r));

    public static BulkColumn<T> NullableLong(string name, Func<T, long?> value) =>
        new(name, NpgsqlDbType.Bigint, rows => Map(rows, value), r => value(r));

    public static BulkColumn<T> Int(string name, Func<T, int> value) =>
        new(name, NpgsqlDbType.Integer, rows => Map(rows, value), r => value(r));

    public static BulkColumn<T> Bool(string name, Func<T, bool> value) =>
        new(name, NpgsqlDbType.Boolean, rows => Map(rows, value), r => value(r) ? 1L : 0L);

    /// <summary>A timestamp: <c>timestamptz</c> on PostgreSQL, fixed-width ISO-8601 UTC text on SQLite (as <see cref="DapperSetup"/> writes it).</summary>
    public static BulkColumn<T> Timestamp(string name, Func<T, DateTimeOffset> value) =>
        new(name, NpgsqlDbType.TimestampTz, rows => Map(rows, r => value(r).UtcDateTime),
            r => value(r).UtcDateTime.ToString(DapperSetup.SqliteTimestampFormat, CultureInfo.InvariantCulture));

    public static BulkColumn<T> NullableTimestamp(string name, Func<T, DateTimeOffset?> value) =>
        new(name, NpgsqlDbType.TimestampTz, rows => Map(rows, r => value(r)?.UtcDateTime),
            r => value(r)?.UtcDateTime.ToString(DapperSetup.SqliteTimestampFormat, CultureInfo.InvariantCulture));

    static TValue[] Map<TValue>(IReadOnlyList<T> rows, Func<T, TValue> value)
    {
        var array = new TValue[rows.Count];
        for (var i = 0; i < array.Length; i++) array[i] = value(rows[i]);
        return array;
    }
}

/// <summary>
/// Inserts many rows in one statement's worth of work, skipping rows whose key exists already, and says how many were
/// new: on PostgreSQL one <c>INSERT … SELECT FROM unnest(arrays) ON CONFLICT DO NOTHING</c>, on SQLite one
/// <c>INSERT … ON CONFLICT DO NOTHING</c> (which, unlike <c>OR IGNORE</c>, skips only duplicates and fails on any other
/// broken constraint) prepared once (<see cref="SqliteRowStatement"/>) and run per row inside the caller's
/// transaction. Dapper's per-row parameter binding costs ten times as much, which is what the usage and event write
/// paths cannot afford.
/// </summary>
public static class BulkInsert
{
    /// <summary>Inserts the rows not there yet (by <paramref name="conflict"/>, the unique columns); returns how many were new.</summary>
    public static async Task<int> InsertNewAsync<T>(
        DbConnection connection, DbTransaction transaction, string table, string conflict, IReadOnlyList<BulkColumn<T>> columns,
        IReadOnlyList<T> rows, CancellationToken ct) =>
        rows.Count == 0 ? 0 : connection switch
        {
            NpgsqlConnection postgres => await PostgresAsync(postgres, (NpgsqlTransaction)transaction, table, conflict, columns, rows, ct),
            SqliteConnection sqlite => Sqlite(sqlite, table, columns, rows, null), // in the connection's transaction
            _ => throw new NotSupportedException($"No bulk insert for {connection.GetType().Name}."),
        };

    /// <summary>As <see cref="InsertNewAsync{T}"/>, and says which rows were new, by their text column <paramref name="id"/> (values no other row has).</summary>
    public static async Task<IReadOnlySet<string>> InsertNewReturningAsync<T>(
        DbConnection connection, DbTransaction transaction, string table, string conflict, IReadOnlyList<BulkColumn<T>> columns,
        IReadOnlyList<T> rows, (string Column, Func<T, string> Of) id, CancellationToken ct)
    {
        var inserted = new HashSet<string>(StringComparer.Ordinal);
        if (rows.Count == 0) return inserted;
        if (connection is SqliteConnection sqlite)
        {
            Sqlite(sqlite, table, columns, rows, row => inserted.Add(id.Of(row)));
            return inserted;
        }

        var postgres = (NpgsqlConnection)connection;
        var count = await PostgresAsync(postgres, (NpgsqlTransaction)transaction, table, conflict, columns, rows, ct);
        var ids = rows.Select(id.Of).ToArray();
        if (count == rows.Count) return ids.ToHashSet(StringComparer.Ordinal);

        // Some rows were there already. The ids are new ones, so a row holding one is a row this insert wrote. (Asking
        // only in the rare batch with duplicates costs the server less than RETURNING every new row's id.)
        await using var check = new NpgsqlCommand($"SELECT {id.Column} FROM {table} WHERE {id.Column} = ANY(@ids)", postgres, (NpgsqlTransaction)transaction);
        check.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = ids });
        await using var reader = await check.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) inserted.Add(reader.GetString(0));
        return inserted;
    }

    /// <summary>
    /// Inserts the rows, and where a row of the same <paramref name="conflict"/> key is there already sets its columns
    /// <paramref name="set"/> to the new row's. Rows must not share a key (PostgreSQL refuses to update a row twice in one statement).
    /// </summary>
    public static async Task<int> UpsertAsync<T>(
        DbTransaction transaction, string table, string conflict, IReadOnlyList<BulkColumn<T>> columns, IReadOnlyList<T> rows, IReadOnlyList<string> set, CancellationToken ct) =>
        rows.Count == 0 ? 0 : transaction.Connection switch
        {
            NpgsqlConnection postgres => await PostgresAsync(postgres, (NpgsqlTransaction)transaction, table, conflict, columns, rows, ct, set),
            SqliteConnection sqlite => Sqlite(sqlite, table, columns, rows, null, OnConflict(conflict, set)),
            var other => throw new NotSupportedException($"No bulk insert for {other?.GetType().Name}."),
        };

    static async Task<int> PostgresAsync<T>(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string table, string conflict, IReadOnlyList<BulkColumn<T>> columns,
        IReadOnlyList<T> rows, CancellationToken ct, IReadOnlyList<string>? set = null)
    {
        await using var batch = new NpgsqlBatch(connection, transaction) { BatchCommands = { PostgresCommand(table, conflict, columns, rows, set) } };
        return await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The PostgreSQL statement of an insert (or, with <paramref name="set"/>, an upsert), to send alone or in a batch of statements (<see cref="WriteBehind"/>).</summary>
    internal static NpgsqlBatchCommand PostgresCommand<T>(string table, string conflict, IReadOnlyList<BulkColumn<T>> columns, IReadOnlyList<T> rows, IReadOnlyList<string>? set)
    {
        var arrays = string.Join(", ", columns.Select((_, i) => $"${i + 1}"));
        var command = new NpgsqlBatchCommand($"INSERT INTO {table} ({Names(columns)}) SELECT * FROM unnest({arrays}) {OnConflict(conflict, set)}");
        foreach (var column in columns)
        {
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | column.PostgresType, Value = column.PostgresArray(rows) });
        }

        return command;
    }

    static string OnConflict(string conflict, IReadOnlyList<string>? set) => set is null
        ? $"ON CONFLICT ({conflict}) DO NOTHING"
        : $"ON CONFLICT ({conflict}) DO UPDATE SET {string.Join(", ", set.Select(c => $"{c} = excluded.{c}"))}";

    /// <summary>Inserts each row in turn; calls <paramref name="inserted"/> for each that was new.</summary>
    static int Sqlite<T>(SqliteConnection connection, string table, IReadOnlyList<BulkColumn<T>> columns, IReadOnlyList<T> rows, Action<T>? inserted, string onConflict = "ON CONFLICT DO NOTHING")
    {
        using var statement = new SqliteRowStatement(
            connection, $"INSERT INTO {table} ({Names(columns)}) VALUES ({string.Join(", ", columns.Select((_, i) => $"?{i + 1}"))}) {onConflict}");
        var count = 0;
        for (var r = 0; r < rows.Count; r++)
        {
            for (var i = 0; i < columns.Count; i++) statement.Bind(i + 1, columns[i].SqliteValue(rows[r]));
            if (statement.Execute() != 1) continue;
            count++;
            inserted?.Invoke(rows[r]);
        }

        return count;
    }

    static string Names<T>(IReadOnlyList<BulkColumn<T>> columns) => string.Join(", ", columns.Select(c => c.Name));
}
