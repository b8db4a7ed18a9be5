using System.Diagnostics;
using Npgsql;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Durability;

/// <summary>
/// PostgreSQL stopped (immediately, as in a crash) for 30 s under gateway load, then started again: the gateway keeps
/// answering from memory and its journal, and once the database is back every answered request is in it exactly
/// once. Runs on its own server (<c>TOLLGATE_TEST_OUTAGE_POSTGRES</c>), which <c>test.sh</c> starts for it and lets it
/// stop and start with the script in <c>TOLLGATE_TEST_OUTAGE_CONTROL</c>.
/// </summary>
public sealed class PostgresOutageTests
{
    static readonly TimeSpan Outage = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Thirty_seconds_without_PostgreSQL_under_gateway_load_lose_no_answered_request()
    {
        var server = Environment.GetEnvironmentVariable("TOLLGATE_TEST_OUTAGE_POSTGRES")
            ?? throw new InvalidOperationException("TOLLGATE_TEST_OUTAGE_POSTGRES is not set: run the tests with ./test.sh.");
        var control = Environment.GetEnvironmentVariable("TOLLGATE_TEST_OUTAGE_CONTROL")
            ?? throw new InvalidOperationException("TOLLGATE_TEST_OUTAGE_CONTROL is not set: run the tests with ./test.sh.");
        await using var database = await OutageDatabase.CreateAsync(server, control);
        using var journal = new GatewayUsageDurabilityTests.TempDirectory();
        var adminKey = GatewayUsageDurabilityTests.AdminKey();
        string[] settings = [$"--Gateway:Journal:Directory={journal.Path}", $"--Secrets:Key={Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))}"];
        await using var node = await TollgateProcess.StartAsync(database.ConnectionString, adminKey, settings);
        var (customer, key) = await GatewayUsageDurabilityTests.CustomerAsync(node.BaseAddress, adminKey);
        var load = new GatewayLoad(node.BaseAddress, key);
        load.Start();
        await load.WaitForOkAsync(100);

        await database.StopAsync();
        var down = Stopwatch.StartNew();
        var okBefore = load.Ok;
        await load.WaitForOkAsync(200);
        var servedWhileDown = load.Ok - okBefore;
        while (down.Elapsed < Outage) await Task.Delay(100);
        await database.StartAsync();
        await load.WaitForOkAsync(100);
        await load.StopAsync();

        servedWhileDown.ShouldBeGreaterThanOrEqualTo(200, "the gateway answers without the database");
        load.Cut.ShouldBe(0);
        await GatewayUsageDurabilityTests.RecordedOnceAsync(database, customer, load);
    }

    sealed class OutageDatabase(string connectionString, string control) : ITestDatabase
    {
        public string ConnectionString => connectionString;

        public static async Task<OutageDatabase> CreateAsync(string server, string control)
        {
            var name = $"tollgate_outage_{Guid.NewGuid():N}";
            await using (var connection = new NpgsqlConnection(server))
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
                await command.ExecuteNonQueryAsync();
            }

            return new OutageDatabase(new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString, control);
        }

        public Task StopAsync() => RunAsync("stop");

        public Task StartAsync() => RunAsync("start");

        async Task RunAsync(string verb)
        {
            using var process = Process.Start(new ProcessStartInfo("bash", [control, verb]) { RedirectStandardError = true })!;
            var error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            process.ExitCode.ShouldBe(0, $"{control} {verb}: {error}");
        }

        public async ValueTask DisposeAsync()
        {
            await StartAsync(); // a failed test may leave it stopped
            NpgsqlConnection.ClearAllPools();
        }
    }
}
