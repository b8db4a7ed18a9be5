using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Tollgate.Storage;

public static class DbErrors
{
    /// <summary>A unique constraint refused the write (a race that a prior check could not see).</summary>
    public static bool IsUniqueViolation(DbException exception) => exception switch
    {
        PostgresException pg => pg.SqlState == PostgresErrorCodes.UniqueViolation,
        SqliteException sqlite => sqlite.SqliteErrorCode == 19 && sqlite.SqliteExtendedErrorCode is 2067 or 1555,
        _ => false,
    };

    /// <summary>
    /// Whether retrying cannot help: the database refused the data itself (a value out of range, a broken constraint, a
    /// text it cannot store), or it never reached the database because it could not be turned into parameters. Anything
    /// else (the server away, a timeout, a busy file) may pass on a later try.
    /// </summary>
    public static bool IsRefusedData(Exception exception) => exception switch
    {
        PostgresException pg => pg.SqlState.StartsWith("22", StringComparison.Ordinal) || pg.SqlState.StartsWith("23", StringComparison.Ordinal),
        SqliteException sqlite => sqlite.SqliteErrorCode is 18 or 19 or 20 or 25,
        ArgumentException or FormatException or InvalidCastException or OverflowException or System.Text.Json.JsonException => true,
        _ => false,
    };
}
