using System.Diagnostics;
using Dapper;
using Tollgate.Common;
using Tollgate.IntegrationTests.Infrastructure;
using Tollgate.Storage;

namespace Tollgate.IntegrationTests.Durability;

/// <summary>
/// Outbound webhooks from real Tollgate processes: a node killed with SIGKILL while delivering leaves nothing
/// undelivered once a node runs again (at least once: what was in flight may arrive twice), and two nodes on one
/// PostgreSQL share the work without sending any message twice.
/// </summary>
public abstract class WebhookDurabilityTests
{
    protected abstract Task<ITestDatabase> CreateDatabaseAsync();

    /// <summary>The same for every process of one test: they open each other's sealed endpoint secrets.</summary>
    readonly string _secretsKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    internal string[] SharedSettings => Settings;

    const int Concurrency = 16;

    string[] Settings =>
    [
        $"--Secrets:Key={_secretsKey}", "--Webhooks:AllowPrivateAddresses=true", "--Webhooks:AttemptTimeout=00:00:02", "--Webhooks:PollInterval=00:00:00.050",
        $"--Webhooks:Concurrency={Concurrency}",
    ];

    [Fact]
    public async Task Kill_9_while_delivering_loses_no_message()
    {
        await using var database = await CreateDatabaseAsync();
        await using var receiver = await FakeWebhookReceiver.StartAsync();
        receiver.AnswerAfter = TimeSpan.FromMilliseconds(20);
        var adminKey = GatewayUsageDurabilityTests.AdminKey();
        List<string> sent;
        await using (var first = await TollgateProcess.StartAsync(database.ConnectionString, adminKey, Settings))
        {
            await EndpointAsync(first.BaseAddress, adminKey, receiver.Url("durable"));
            sent = await EventsAsync(database, 400);
            await UntilAsync(() => receiver.To("durable").Count >= 40, "the first node delivers some");
            await first.KillAsync();
        }

        var beforeRestart = receiver.To("durable").Select(h => h.Id!).ToHashSet();
        beforeRestart.Count.ShouldBeLessThan(sent.Count, "the kill came while messages were still waiting");
        await using var second = await TollgateProcess.StartAsync(database.ConnectionString, adminKey, Settings);
        await UntilAsync(() => sent.All(receiver.To("durable").Select(h => h.Id!).ToHashSet().Contains), "every message arrives after the restart");

        // What the killed node held is claimed again once its leases run out (twice the attempt timeout), and sent again.
        await using var db = new Database(ConnectionTarget.Parse(database.ConnectionString));
        await UntilAsync(async () =>
        {
            await using var connection = await db.OpenAsync();
            return await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM webhook_deliveries WHERE status <> 'succeeded'") == 0;
        }, "every delivery settles as succeeded");
        var received = receiver.To("durable").GroupBy(h => h.Id!).ToDictionary(g => g.Key, g => g.Count());
        received.Keys.ShouldBe(sent, ignoreOrder: true);
        received.Values.Count(n => n > 1).ShouldBeLessThanOrEqualTo(2 * Concurrency,
            "only what was sent and not yet recorded at the kill may arrive twice: at most Webhooks:Concurrency waiting for answers, and as many answered waiting for their record");
    }

    /// <summary>A test-mode admin key (so that an http endpoint on loopback may be registered), and an endpoint for invoices.</summary>
    internal static async Task EndpointAsync(Uri server, string adminKey, string url)
    {
        var admin = new ApiClient(server, adminKey);
        var testKey = (await admin.PostAsync("/api/v1/keys", new { name = "hooks", kind = "admin", mode = "test" })).Str("secret")!;
        var endpoint = await new ApiClient(server, testKey).PostAsync("/api/v1/webhook-endpoints", new { url, events = new[] { "invoice.*" } });
        endpoint.Status.ShouldBe(HttpStatusCode.Created);
    }

    /// <summary><paramref name="count"/> events, each written to the outbox in its own transaction, as billing writes them.</summary>
    internal static async Task<List<string>> EventsAsync(ITestDatabase database, int count)
    {
        await using var db = new Database(ConnectionTarget.Parse(database.ConnectionString));
        var ids = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var id = Ids.New(Outbox.MessagePrefix, TimeProvider.System);
            await db.InTransactionAsync(async (_, tx) =>
            {
                await Outbox.WriteAsync(tx, id, "invoice.paid", null, new { id = $"in_{i}", total = i }, DateTimeOffset.UtcNow);
                return 0;
            });
            ids.Add(id);
        }

        return ids;
    }

    /// <summary>Waits, at most 60 s of real time, for real processes to get there.</summary>
    internal static Task UntilAsync(Func<bool> done, string what) => UntilAsync(() => Task.FromResult(done()), what);

    internal static async Task UntilAsync(Func<Task<bool>> done, string what)
    {
        var waited = Stopwatch.StartNew();
        while (!await done())
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"Not within 60 s: {what}.");
            await Task.Delay(20);
        }
    }
}

public sealed class WebhookDurabilityOnSqlite : WebhookDurabilityTests
{
    protected override Task<ITestDatabase> CreateDatabaseAsync() => Task.FromResult<ITestDatabase>(new SqliteTestDatabase());
}

public sealed class WebhookDurabilityOnPostgres : WebhookDurabilityTests
{
    protected override async Task<ITestDatabase> CreateDatabaseAsync() => await PostgresTestDatabase.CreateAsync();

    [Fact]
    public async Task Two_nodes_on_one_PostgreSQL_send_each_message_once_and_both_send()
    {
        await using var database = await CreateDatabaseAsync();
        await using var receiver = await FakeWebhookReceiver.StartAsync();
        receiver.AnswerAfter = TimeSpan.FromMilliseconds(5);
        var adminKey = GatewayUsageDurabilityTests.AdminKey();
        using var firstJournal = new GatewayUsageDurabilityTests.TempDirectory();
        using var secondJournal = new GatewayUsageDurabilityTests.TempDirectory();
        await using var first = await TollgateProcess.StartAsync(database.ConnectionString, adminKey, [.. SettingsOf(this), $"--Gateway:Journal:Directory={firstJournal.Path}"]);
        await using var second = await TollgateProcess.StartAsync(database.ConnectionString, adminKey, [.. SettingsOf(this), $"--Gateway:Journal:Directory={secondJournal.Path}"]);
        await EndpointAsync(first.BaseAddress, adminKey, receiver.Url("shared"));

        var sent = await EventsAsync(database, 600);
        await UntilAsync(() => receiver.To("shared").Count >= sent.Count, "every message arrives");

        var received = receiver.To("shared").GroupBy(h => h.Id!).ToDictionary(g => g.Key, g => g.Count());
        received.Keys.ShouldBe(sent, ignoreOrder: true);
        received.Values.ShouldAllBe(n => n == 1);
        await using var db = new Database(ConnectionTarget.Parse(database.ConnectionString));
        await using var connection = await db.OpenAsync();
        // An attempt is recorded after its answer, with the group its node commits next: the last ones may follow the arrivals.
        await UntilAsync(async () => await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'") == 0,
            "every delivery is recorded as sent");
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(DISTINCT node_id) FROM webhook_attempts")).ShouldBe(2);
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM webhook_attempts")).ShouldBe(sent.Count, "one attempt per message: no two nodes made the same one");
    }

    static string[] SettingsOf(WebhookDurabilityTests test) => test.SharedSettings;
}
