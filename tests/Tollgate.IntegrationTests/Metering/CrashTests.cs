using Dapper;
using Tollgate.IntegrationTests.Infrastructure;
using Tollgate.Storage;

namespace Tollgate.IntegrationTests.Metering;

/// <summary>
/// The server killed with SIGKILL in the middle of ingestion, then started again on the same database: every event it
/// acknowledged is there, none is there twice, and the batches it never answered can simply be sent again.
/// </summary>
public abstract class CrashTests
{
    const int Senders = 8;
    const int BatchSize = 200;

    protected abstract Task<ITestDatabase> CreateDatabaseAsync();

    protected virtual string[] Settings => [];

    [Fact]
    public async Task Kill_9_during_ingestion_loses_no_acknowledged_event_and_counts_none_twice()
    {
        await using var database = await CreateDatabaseAsync();
        var adminKey = "tg_admin_live_" + new string([.. Enumerable.Range(0, 43).Select(i => "abcdefghijklmnopqrstuvwxyz0123456789"[Random.Shared.Next(36)])]);
        var first = await TollgateProcess.StartAsync(database.ConnectionString, adminKey, Settings);
        var customer = (await new ApiClient(first.BaseAddress, adminKey).PostAsync("/api/v1/customers", new { name = "Crash" })).Id;

        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<int>();
        var unanswered = new System.Collections.Concurrent.ConcurrentBag<int>();
        var next = -1;
        using var stop = new CancellationTokenSource();
        var client = new ApiClient(first.BaseAddress, adminKey);
        var senders = Enumerable.Range(0, Senders).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var batch = Interlocked.Increment(ref next);
                try
                {
                    var answer = await client.PostAsync("/api/v1/events/batch", Batch(customer, batch));
                    answer.Status.ShouldBe(HttpStatusCode.OK);
                    answer.Body!["accepted"]!.GetValue<int>().ShouldBe(BatchSize);
                    acknowledged.Add(batch);
                }
                catch (HttpRequestException)
                {
                    unanswered.Add(batch); // the server died with this batch in flight
                    return;
                }
            }
        })).ToArray();

        // Wait (in real time, at most 60 s) for 30 acknowledged batches; a sender that failed ends the wait with its error.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (acknowledged.Count < 30 && DateTime.UtcNow < deadline && !senders.Any(s => s.IsFaulted)) await Task.Delay(10);
        if (senders.FirstOrDefault(s => s.IsFaulted) is { } failed) await failed;
        acknowledged.Count.ShouldBeGreaterThanOrEqualTo(30, "the server should acknowledge batches before it is killed");
        await first.KillAsync();
        await Task.WhenAll(senders);
        unanswered.ShouldNotBeEmpty("the senders never pause, so the kill cuts batches off in flight");

        await using (var second = await TollgateProcess.StartAsync(database.ConnectionString, adminKey, Settings))
        {
            var stored = await StoredAsync(database, customer);
            stored.Values.ShouldAllBe(count => count == 1);
            foreach (var batch in acknowledged)
            {
                for (var i = 0; i < BatchSize; i++) stored.ShouldContainKey(Id(batch, i));
            }

            // Whatever was cut off is sent again: each event ends up stored once, whether or not it had landed.
            var retry = new ApiClient(second.BaseAddress, adminKey);
            foreach (var batch in unanswered)
            {
                var answer = await retry.PostAsync("/api/v1/events/batch", Batch(customer, batch));
                (answer.Body!["accepted"]!.GetValue<int>() + answer.Body!["duplicates"]!.GetValue<int>()).ShouldBe(BatchSize);
            }

            var after = await StoredAsync(database, customer);
            after.Values.ShouldAllBe(count => count == 1);
            after.Count.ShouldBe((acknowledged.Count + unanswered.Count) * BatchSize);
        }
    }

    static string Id(int batch, int i) => $"b{batch}-e{i}";

    static object Batch(string customer, int batch) => new
    {
        events = Enumerable.Range(0, BatchSize).Select(i => new { id = Id(batch, i), code = "query", customer_id = customer, properties = new { n = i } }).ToArray(),
    };

    static async Task<Dictionary<string, long>> StoredAsync(ITestDatabase database, string customer)
    {
        await using var db = new Database(ConnectionTarget.Parse(database.ConnectionString));
        await using var connection = await db.OpenAsync();
        var rows = await connection.QueryAsync<(string Key, long Count)>(
            "SELECT idempotency_key, COUNT(*) FROM events WHERE customer_id = @customer GROUP BY idempotency_key", new { customer });
        return rows.ToDictionary(r => r.Key, r => r.Count);
    }
}

public sealed class CrashOnSqlite : CrashTests
{
    protected override Task<ITestDatabase> CreateDatabaseAsync() => Task.FromResult<ITestDatabase>(new SqliteTestDatabase());
}

public sealed class CrashOnPostgres : CrashTests
{
    protected override string[] Settings => [$"--Secrets:Key={Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))}"];

    protected override async Task<ITestDatabase> CreateDatabaseAsync() => await PostgresTestDatabase.CreateAsync();
}
