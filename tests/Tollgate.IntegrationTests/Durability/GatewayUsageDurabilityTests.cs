using System.Diagnostics;
using Dapper;
using Tollgate.IntegrationTests.Infrastructure;
using Tollgate.Storage;

namespace Tollgate.IntegrationTests.Durability;

/// <summary>
/// Gateway usage survives what can happen to a node: the server killed with SIGKILL under load, streamed and not, then
/// started again on the same database and journal; and (on PostgreSQL) the database stopped for a while under load.
/// Either way every request answered in full ends up with exactly one usage record, and every one answered with 200
/// with exactly one usage event.
/// </summary>
public abstract class GatewayUsageDurabilityTests
{
    protected abstract Task<ITestDatabase> CreateDatabaseAsync();

    protected virtual string[] Settings => [];

    [Fact]
    public async Task Kill_9_under_gateway_load_loses_no_answered_request_and_counts_none_twice()
    {
        await using var database = await CreateDatabaseAsync();
        using var journal = new TempDirectory();
        var adminKey = AdminKey();
        string[] settings = [.. Settings, $"--Gateway:Journal:Directory={journal.Path}"];
        GatewayLoad load;
        string customer;
        await using (var first = await TollgateProcess.StartAsync(database.ConnectionString, adminKey, settings))
        {
            (customer, var key) = await CustomerAsync(first.BaseAddress, adminKey);
            load = new GatewayLoad(first.BaseAddress, key);
            load.Start();
            await load.WaitForOkAsync(300);
            await first.KillAsync();
            await load.StopAsync();
        }

        load.Cut.ShouldBeGreaterThan(0, "the senders never pause, so the kill cuts requests off in flight");
        await using var second = await TollgateProcess.StartAsync(database.ConnectionString, adminKey, settings);
        await RecordedOnceAsync(database, customer, load);
    }

    internal static async Task<(string Customer, string Key)> CustomerAsync(Uri server, string adminKey)
    {
        var admin = new ApiClient(server, adminKey);
        var customer = (await admin.PostAsync("/api/v1/customers", new { name = "Durable" })).Id;
        var key = await admin.PostAsync("/api/v1/keys", new { name = "load", customer_id = customer, mode = "test" });
        key.Status.ShouldBe(HttpStatusCode.Created);
        return (customer, key.Str("secret")!);
    }

    /// <summary>
    /// Waits (at most 60 s of real time) for the restarted node to drain its journal, then checks every answered
    /// request: one usage record each, and one usage event for each answered with 200.
    /// </summary>
    internal static async Task RecordedOnceAsync(ITestDatabase database, string customer, GatewayLoad load)
    {
        await using var db = new Database(ConnectionTarget.Parse(database.ConnectionString));
        var answered = load.Answered.ToDictionary();
        answered.Count.ShouldBeGreaterThan(0);
        Dictionary<string, long> records = [];
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            await using var connection = await db.OpenAsync();
            records = (await connection.QueryAsync<(string Id, long Count)>(
                "SELECT id, COUNT(*) FROM usage_records WHERE customer_id = @customer GROUP BY id", new { customer })).ToDictionary(r => r.Id, r => r.Count);
            if (answered.Keys.All(records.ContainsKey)) break;
            await Task.Delay(50);
        }

        var lost = answered.Keys.Where(id => !records.ContainsKey(id)).ToList();
        lost.Count.ShouldBe(0, $"every answered request has its usage record; of {answered.Count}, these have none: {string.Join(", ", lost.Take(5))}");
        records.Values.ShouldAllBe(count => count == 1);

        // The usage events as metrics and the events API read them, paged through with the production store.
        var store = new Tollgate.Metering.EventStore(db);
        var events = new Dictionary<string, long>();
        for (string? cursor = null; ;)
        {
            var page = await store.ListAsync(new Tollgate.Metering.EventQuery(customer, "gateway", null, null), new Tollgate.Common.PageRequest(100, cursor), default);
            foreach (var e in page.Data) events[e.IdempotencyKey] = events.GetValueOrDefault(e.IdempotencyKey) + 1;
            if (!page.HasMore) break;
            cursor = page.NextCursor;
        }

        var unmetered = answered.Where(a => a.Value && !events.ContainsKey(a.Key)).Select(a => a.Key).ToList();
        unmetered.Count.ShouldBe(0, $"every request answered with 200 is a usage event; these are not: {string.Join(", ", unmetered.Take(5))}");
        events.Values.ShouldAllBe(count => count == 1);
        events.Keys.Where(id => !records.ContainsKey(id)).ShouldBeEmpty("no usage event without its usage record");
    }

    internal static string AdminKey() =>
        "tg_admin_live_" + new string([.. Enumerable.Range(0, 43).Select(_ => "abcdefghijklmnopqrstuvwxyz0123456789"[Random.Shared.Next(36)])]);

    internal sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("tollgate-journal-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}

public sealed class GatewayUsageDurabilityOnSqlite : GatewayUsageDurabilityTests
{
    protected override Task<ITestDatabase> CreateDatabaseAsync() => Task.FromResult<ITestDatabase>(new SqliteTestDatabase());
}

public sealed class GatewayUsageDurabilityOnPostgres : GatewayUsageDurabilityTests
{
    protected override string[] Settings => [$"--Secrets:Key={Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))}"];

    protected override async Task<ITestDatabase> CreateDatabaseAsync() => await PostgresTestDatabase.CreateAsync();
}
