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
}
