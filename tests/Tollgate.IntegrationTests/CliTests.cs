using Dapper;
using Tollgate.Catalog;
using Tollgate.Cli;
using Tollgate.IntegrationTests.Infrastructure;
using Tollgate.Storage;

namespace Tollgate.IntegrationTests;

/// <summary>The verbs, run in process against a fresh database each.</summary>
public abstract class CliTests
{
    protected abstract Task<ITestDatabase> CreateDatabaseAsync();

    protected static Task<int> Run(ITestDatabase database, params string[] args) =>
        TollgateCli.RunAsync([.. args, $"--Storage:ConnectionString={database.ConnectionString}", "--Logging:LogLevel:Default=Warning"]);

    static async Task<long> CountAsync(ITestDatabase database, string table)
    {
        await using var db = new Database(ConnectionTarget.Parse(database.ConnectionString));
        await using var connection = await db.OpenAsync();
        return await connection.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {table}");
    }

    [Fact]
    public async Task Migrate_creates_the_schema()
    {
        await using var database = await CreateDatabaseAsync();
        (await Run(database, "migrate")).ShouldBe(0);
        (await CountAsync(database, "schema_migrations")).ShouldBe(Migrations.All.Count);
    }

    [Fact]
    public async Task Every_template_applies_to_a_fresh_database_and_twice_changes_nothing()
    {
        foreach (var name in CatalogTemplates.Names)
        {
            await using var database = await CreateDatabaseAsync();
            (await Run(database, "catalog", "apply", name)).ShouldBe(0, name);
            var versions = await CountAsync(database, "plan_versions");
            var audit = await CountAsync(database, "audit_log");
            versions.ShouldBeGreaterThan(0);
            (await CountAsync(database, "coupons")).ShouldBeGreaterThan(0, name); // every template has billing terms

            (await Run(database, "catalog", "apply", name)).ShouldBe(0, name);

            (await CountAsync(database, "plan_versions")).ShouldBe(versions, name);
            (await CountAsync(database, "audit_log")).ShouldBe(audit, name);
        }
    }

    [Fact]
    public async Task Keys_create_stores_a_usable_admin_key()
    {
        await using var database = await CreateDatabaseAsync();
        (await Run(database, "keys", "create", "--name", "ci")).ShouldBe(0);
        (await CountAsync(database, "api_keys")).ShouldBe(1);
    }

    [Fact]
    public async Task A_broken_catalog_file_exits_non_zero_and_writes_nothing()
    {
        await using var database = await CreateDatabaseAsync();
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, """{"metrics":[{"code":"ok","name":"Ok"}],"plans":[{"code":"x","name":"X","charges":[{"metric":"nope","currency":"USD","model":"per_unit","properties":{"unit_amount":1}}]}]}""");

        (await Run(database, "catalog", "apply", file)).ShouldBe(1);
        (await CountAsync(database, "metrics")).ShouldBe(0);
    }
}

public sealed class CliOnSqlite : CliTests
{
    protected override Task<ITestDatabase> CreateDatabaseAsync() => Task.FromResult<ITestDatabase>(new SqliteTestDatabase());

    [Fact]
    public async Task A_malformed_connection_string_is_a_configuration_error()
    {
        var exit = await TollgateCli.RunAsync(["migrate", "--Storage:ConnectionString=postgres://"]);
        exit.ShouldBe(2);
    }
}

public sealed class CliOnPostgres : CliTests
{
    protected override async Task<ITestDatabase> CreateDatabaseAsync() => await PostgresTestDatabase.CreateAsync();

    [Fact]
    public async Task Both_databases_get_the_same_tables_and_columns()
    {
        await using var postgres = await CreateDatabaseAsync();
        await using var sqlite = new SqliteTestDatabase();
        (await Run(postgres, "migrate")).ShouldBe(0);
        (await Run(sqlite, "migrate")).ShouldBe(0);

        await using var pg = new Database(ConnectionTarget.Parse(postgres.ConnectionString));
        await using var pgConnection = await pg.OpenAsync();
        var pgColumns = (await pgConnection.QueryAsync<string>(
            "SELECT table_name || '.' || column_name FROM information_schema.columns WHERE table_schema = 'public'")).Order().ToList();

        await using var lite = new Database(ConnectionTarget.Parse(sqlite.ConnectionString));
        await using var liteConnection = await lite.OpenAsync();
        var liteColumns = (await liteConnection.QueryAsync<string>(
            "SELECT m.name || '.' || p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"))
            .Order().ToList();

        liteColumns.Count.ShouldBeGreaterThan(50);
        liteColumns.ShouldBe(pgColumns);
    }
}
