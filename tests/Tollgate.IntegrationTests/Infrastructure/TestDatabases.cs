using Npgsql;

namespace Tollgate.IntegrationTests.Infrastructure;

/// <summary>A fresh, empty database for one test server, dropped afterwards.</summary>
public interface ITestDatabase : IAsyncDisposable
{
    string ConnectionString { get; }
}

public sealed class SqliteTestDatabase : ITestDatabase
{
    readonly string _directory = Directory.CreateTempSubdirectory("tollgate-test-").FullName;

    public string ConnectionString => $"Data Source={Path.Combine(_directory, "tollgate.db")}";

    public ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// A database on the PostgreSQL server named by TOLLGATE_TEST_POSTGRES. Missing means failure, never a skip:
/// the test command starts PostgreSQL itself, so its absence is a broken setup.
/// </summary>
public sealed class PostgresTestDatabase : ITestDatabase
{
    public const string Variable = "TOLLGATE_TEST_POSTGRES";
    readonly string _server;
    readonly string _name = $"tollgate_test_{Guid.NewGuid():N}";

    PostgresTestDatabase(string server) => _server = server;

    public string ConnectionString => new NpgsqlConnectionStringBuilder(_server) { Database = _name }.ConnectionString;

    public static async Task<PostgresTestDatabase> CreateAsync()
    {
        var server = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(server))
        {
            throw new InvalidOperationException(
                $"{Variable} is not set. Run the tests with ./test.sh, which starts a throwaway PostgreSQL, " +
                $"or set {Variable}=\"Host=127.0.0.1;Port=5432;Username=postgres\" yourself.");
        }

        var database = new PostgresTestDatabase(server);
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {database._name}", connection);
        await command.ExecuteNonQueryAsync();
        return database;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_server);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
