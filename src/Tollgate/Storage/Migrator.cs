using System.Data.Common;
using Dapper;

namespace Tollgate.Storage;

/// <summary>Applies pending migrations, each in its own transaction, one node at a time.</summary>
public sealed partial class Migrator(Database database, TimeProvider time, ILogger<Migrator> logger)
{
    // Any constant works; it only has to be the same on every node.
    const long PostgresLockId = 0x546F6C6C67617465;

    public async Task<int> MigrateAsync(CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        if (database.Kind == DatabaseKind.Postgres)
        {
            await connection.ExecuteAsync("SELECT pg_advisory_lock(@id)", new { id = PostgresLockId });
        }
        else
        {
            await connection.ExecuteAsync("PRAGMA journal_mode=WAL");
        }

        try
        {
            await connection.ExecuteAsync($"""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at {(database.Kind == DatabaseKind.Postgres ? "timestamptz" : "TEXT")} NOT NULL
                )
                """);
            var applied = (await connection.QueryAsync<int>("SELECT version FROM schema_migrations")).ToHashSet();
            var count = 0;
            foreach (var migration in Migrations.All.Where(m => !applied.Contains(m.Version)))
            {
                await ApplyAsync(connection, migration, ct);
                count++;
            }

            return count;
        }
        finally
        {
            if (database.Kind == DatabaseKind.Postgres)
            {
                await connection.ExecuteAsync("SELECT pg_advisory_unlock(@id)", new { id = PostgresLockId });
            }
        }
    }

    public async Task<IReadOnlyList<int>> PendingAsync(CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        try
        {
            var applied = (await connection.QueryAsync<int>("SELECT version FROM schema_migrations")).ToHashSet();
            return Migrations.All.Where(m => !applied.Contains(m.Version)).Select(m => m.Version).ToList();
        }
        catch (DbException)
        {
            return Migrations.All.Select(m => m.Version).ToList();
        }
    }

    async Task ApplyAsync(DbConnection connection, Migration migration, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(migration.For(database.Kind), transaction: transaction);
        await connection.ExecuteAsync(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@Version, @Name, @At)",
            new { migration.Version, migration.Name, At = time.GetUtcNow() },
            transaction);
        await transaction.CommitAsync(ct);
        LogApplied(logger, migration.Version, migration.Name);
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Applied migration {Version}: {Name}")]
    static partial void LogApplied(ILogger logger, int version, string name);
}
