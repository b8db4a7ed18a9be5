using Microsoft.Data.Sqlite;

namespace Tollgate.Storage;

/// <summary>
/// Where a node keeps its own files (the secrets key file, the usage journal): beside the SQLite database, or in
/// <c>data/</c> under the working directory for PostgreSQL and in-memory SQLite.
/// </summary>
public static class DataDirectory
{
    public static string For(ConnectionTarget target)
    {
        if (target.Kind == DatabaseKind.Sqlite)
        {
            var source = new SqliteConnectionStringBuilder(target.ConnectionString).DataSource;
            if (source != ":memory:" && Path.GetDirectoryName(Path.GetFullPath(source)) is { Length: > 0 } directory) return directory;
        }

        return Path.GetFullPath("data");
    }
}
