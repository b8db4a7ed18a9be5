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

    static TValue[] Map<TValue>(IReadOnlyList<T> rows, Func<T, TValue> value)
    {
        var array = new TValue[rows.Count];
        for (var i = 0; i < array.Length; i++) array[i] = value(rows[i]);
        return array;
    }
}

/// <summary>
/// Inserts many rows in one statement's worth of work, skipping rows whose key exists already, and says how many were
/// new: on PostgreSQL one <c>INSERT … SELECT FROM unnest(arrays) ON CONFLICT DO NOTHING</c>, on SQLite one prepared
/// <c>INSERT OR IGNORE</c> run per row inside the caller's transaction. Dapper's per-row parameter binding costs ten
/// times as much, which is what the usage and event write paths cannot afford.
/// </summary>
public static class BulkInsert
{
    /// <summary>Inserts the rows not there yet (by <paramref name="conflict"/>, the unique columns); returns how many were new.</summary>
    public static async Task<int> InsertNewAsync<T>(
        DbConnection connection, DbTransaction transaction, string table, string conflict, IReadOnlyList<BulkColumn<T>> columns,
        IReadOnlyList<T> rows, CancellationToken ct) =>
        (await InsertAsync(connection, transaction, table, conflict, columns, rows, null, ct)).Count;

    /// <summary>As <see cref="InsertNewAsync{T}"/>, and says which rows were new, by the text column <paramref name="idColumn"/>.</summary>
    public static Task<IReadOnlySet<string>> InsertNewReturningAsync<T>(
        DbConnection connection, DbTransaction transaction, string table, string conflict, IReadOnlyList<BulkColumn<T>> columns,
        IReadOnlyList<T> rows, (string Column, Func<T, string> Of) id, CancellationToken ct) =>
        InsertAsync(connection, transaction, table, conflict, columns, rows, id, ct);

    static async Task<IReadOnlySet<string>> InsertAsync<T>(
        DbConnection connection, DbTransaction transaction, string table, string conflict, IReadOnlyList<BulkColumn<T>> columns,
        IReadOnlyList<T> rows, (string Column, Func<T, string> Of)? id, CancellationToken ct)
    {
        if (rows.Count == 0) return new HashSet<string>();
        var names = string.Join(", ", columns.Select(c => c.Name));
        return connection switch
        {
            NpgsqlConnection postgres => await PostgresAsync(postgres, (NpgsqlTransaction)transaction, table, conflict, names, columns, rows, id, ct),
            SqliteConnection sqlite => Sqlite(sqlite, (SqliteTransaction)transaction, table, names, columns, rows, id),
            _ => throw new NotSupportedException($"No bulk insert for {connection.GetType().Name}."),
        };
    }

    static async Task<IReadOnlySet<string>> PostgresAsync<T>(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string table, string conflict, string names,
        IReadOnlyList<BulkColumn<T>> columns, IReadOnlyList<T> rows, (string Column, Func<T, string> Of)? id, CancellationToken ct)
    {
        var arrays = string.Join(", ", columns.Select((_, i) => $"@p{i}"));
        // With no ids asked for, each new row still comes back as one row of constant 1: the count is what matters.
        await using var command = new NpgsqlCommand(
            $"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) ON CONFLICT ({conflict}) DO NOTHING RETURNING {id?.Column ?? "''"}",
            connection, transaction);
        for (var i = 0; i < columns.Count; i++)
        {
            command.Parameters.Add(new NpgsqlParameter($"p{i}", NpgsqlDbType.Array | columns[i].PostgresType)
            {
                Value = columns[i].PostgresArray(rows),
            });
        }

        var inserted = new HashSet<string>(StringComparer.Ordinal);
        var counter = 0;
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) inserted.Add(id is null ? (counter++).ToString(CultureInfo.InvariantCulture) : reader.GetString(0));
        return inserted;
    }

    static HashSet<string> Sqlite<T>(
        SqliteConnection connection, SqliteTransaction transaction, string table, string names, IReadOnlyList<BulkColumn<T>> columns,
        IReadOnlyList<T> rows, (string Column, Func<T, string> Of)? id)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"INSERT OR IGNORE INTO {table} ({names}) VALUES ({string.Join(", ", columns.Select((_, i) => $"$p{i}"))})";
        var parameters = new SqliteParameter[columns.Count];
        for (var i = 0; i < columns.Count; i++) parameters[i] = command.Parameters.Add(new SqliteParameter($"$p{i}", null));
        command.Prepare();

        var inserted = new HashSet<string>(StringComparer.Ordinal);
        for (var r = 0; r < rows.Count; r++)
        {
            for (var i = 0; i < columns.Count; i++) parameters[i].Value = columns[i].SqliteValue(rows[r]) ?? DBNull.Value;
            if (command.ExecuteNonQuery() == 1) inserted.Add(id is { } key ? key.Of(rows[r]) : r.ToString(CultureInfo.InvariantCulture));
        }

        return inserted;
    }
}
