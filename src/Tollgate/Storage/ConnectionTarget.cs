using Microsoft.Data.Sqlite;
using Npgsql;

namespace Tollgate.Storage;

/// <summary>Which database a connection string points at, decided once from its shape.</summary>
public sealed record ConnectionTarget(DatabaseKind Kind, string ConnectionString)
{
    public const string DefaultSqlite = "Data Source=data/tollgate.db";

    public static ConnectionTarget Parse(string? value)
    {
        var text = string.IsNullOrWhiteSpace(value) ? DefaultSqlite : value.Trim();
        if (text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            || text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return new(DatabaseKind.Postgres, Prepared(new NpgsqlConnectionStringBuilder(FromUrl(text)), text));
        }

        if (LooksLikeNpgsql(text))
        {
            return new(DatabaseKind.Postgres, Prepared(new NpgsqlConnectionStringBuilder(text), text));
        }

        var sqlite = new SqliteConnectionStringBuilder(text);
        if (string.IsNullOrWhiteSpace(sqlite.DataSource))
        {
            throw new FormatException("The SQLite connection string has no 'Data Source'.");
        }

        return new(DatabaseKind.Sqlite, sqlite.ConnectionString);
    }

    static bool LooksLikeNpgsql(string text) =>
        text.Contains("Host=", StringComparison.OrdinalIgnoreCase)
        || text.Contains("Server=", StringComparison.OrdinalIgnoreCase);

    static string FromUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new FormatException("The PostgreSQL URL is not of the form postgres://user:password@host:port/database.");
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')),
        };
        var userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo[0].Length > 0) builder.Username = Uri.UnescapeDataString(userInfo[0]);
        if (userInfo.Length == 2) builder.Password = Uri.UnescapeDataString(userInfo[1]);
        return builder.ConnectionString;
    }

    /// <summary>
    /// Statements run often are prepared on each pooled connection (Npgsql's automatic preparation), so PostgreSQL parses
    /// and plans them once per connection, not once per call: the same few statements are most of what the gateway,
    /// the billing engine and the webhook receiver send. A connection string that sets <c>Max Auto Prepare</c> keeps its own, 0 (off) included.
    /// </summary>
    static string Prepared(NpgsqlConnectionStringBuilder builder, string given)
    {
        // Set by the operator, even to 0 (a pooler that cannot hold prepared statements): theirs.
        if (!given.Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase) && !given.Contains("MaxAutoPrepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.MaxAutoPrepare = 128;
            builder.AutoPrepareMinUsages = 2;
        }

        return builder.ConnectionString;
    }

    /// <summary>The connection string with any password masked, for messages and logs.</summary>
    public string Redacted() => Kind switch
    {
        DatabaseKind.Postgres => new NpgsqlConnectionStringBuilder(ConnectionString) { Password = null }.ConnectionString,
        _ => ConnectionString,
    };
}
