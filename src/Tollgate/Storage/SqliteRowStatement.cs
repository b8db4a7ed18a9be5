using System.Buffers;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Tollgate.Storage;

/// <summary>
/// One statement prepared on a SQLite connection's own handle and run once per row, its parameters bound by position
/// as UTF-8. It takes part in whatever transaction the connection is in. Microsoft.Data.Sqlite looks every parameter
/// up by name and converts every string on each execution, which costs five times the insert itself; the bulk write
/// paths run through this instead.
/// </summary>
sealed class SqliteRowStatement : IDisposable
{
    readonly sqlite3 _db;
    readonly sqlite3_stmt _statement;
    byte[] _buffer = ArrayPool<byte>.Shared.Rent(1024);

    public SqliteRowStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The SQLite connection is not open.");
        Check(raw.sqlite3_prepare_v2(_db, sql, out _statement));
    }

    /// <summary>Binds one value to the 1-based parameter <paramref name="index"/>: text, an integer, a real or null.</summary>
    public void Bind(int index, object? value)
    {
        var rc = value switch
        {
            null => raw.sqlite3_bind_null(_statement, index),
            string text => BindText(index, text),
            long number => raw.sqlite3_bind_int64(_statement, index, number),
            int number => raw.sqlite3_bind_int64(_statement, index, number),
            double real => raw.sqlite3_bind_double(_statement, index, real),
            _ => throw new NotSupportedException($"No SQLite binding for {value.GetType().Name}."),
        };
        Check(rc);
    }

    /// <summary>Runs the statement with the values bound, then clears them; returns how many rows it changed.</summary>
    public int Execute()
    {
        var rc = raw.sqlite3_step(_statement);
        raw.sqlite3_reset(_statement);
        if (rc != raw.SQLITE_DONE && rc != raw.SQLITE_ROW) Check(rc);
        return raw.sqlite3_changes(_db);
    }

    int BindText(int index, string text)
    {
        // SQLitePCL pins an empty span to a null pointer, which SQLite binds as NULL; "" goes through its own overload.
        if (text.Length == 0) return raw.sqlite3_bind_text(_statement, index, "");
        var most = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (most > _buffer.Length)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(most);
        }

        var length = Encoding.UTF8.GetBytes(text, _buffer);
        // SQLitePCL binds a span as SQLITE_TRANSIENT: SQLite copies it, so the buffer is free again at once.
        return raw.sqlite3_bind_text(_statement, index, _buffer.AsSpan(0, length));
    }

    void Check(int rc)
    {
        if (rc != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(rc, _db);
    }

    public void Dispose()
    {
        _statement.Dispose();
        ArrayPool<byte>.Shared.Return(_buffer);
    }
}
