using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Tollgate.Storage;

/// <summary>
/// Updates many rows by their key in one statement's worth of work: on PostgreSQL one <c>UPDATE … FROM unnest(arrays)</c>,
/// on SQLite one <c>UPDATE</c> prepared once and run per row in the caller's transaction. The first column is the key;
/// the others are set.
/// </summary>
public static class BulkUpdate
{
    public static async Task<int> UpdateAsync<T>(DbConnection connection, DbTransaction transaction, string table, IReadOnlyList<BulkColumn<T>> columns, IReadOnlyList<T> rows, CancellationToken ct)
    {
        if (rows.Count == 0) return 0;
        var key = columns[0].Name;
        var set = columns.Skip(1).ToList();
        if (connection is SqliteConnection sqlite)
        {
            using var statement = new SqliteRowStatement(sqlite, $"UPDATE {table} SET {string.Join(", ", set.Select((c, i) => $"{c.Name} = ?{i + 2}"))} WHERE {key} = ?1");
            var changed = 0;
            foreach (var row in rows)
            {
                for (var i = 0; i < columns.Count; i++) statement.Bind(i + 1, columns[i].SqliteValue(row));
                changed += statement.Execute();
            }

            return changed;
        }

        var names = string.Join(", ", columns.Select(c => c.Name));
        await using var command = new NpgsqlCommand(
            $"""
            UPDATE {table} AS t SET {string.Join(", ", set.Select(c => $"{c.Name} = v.{c.Name}"))}
            FROM unnest({string.Join(", ", columns.Select((_, i) => $"@p{i}"))}) AS v ({names})
            WHERE t.{key} = v.{key}
            """, (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
        for (var i = 0; i < columns.Count; i++)
        {
            command.Parameters.Add(new NpgsqlParameter($"p{i}", NpgsqlDbType.Array | columns[i].PostgresType) { Value = columns[i].PostgresArray(rows) });
        }

        return await command.ExecuteNonQueryAsync(ct);
    }
}
