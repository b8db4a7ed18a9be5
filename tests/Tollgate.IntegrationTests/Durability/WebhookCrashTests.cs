using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Tollgate.IntegrationTests.Infrastructure;
using Tollgate.Storage;

namespace Tollgate.IntegrationTests.Durability;

/// <summary>
/// A server killed with SIGKILL while providers' webhooks pour in loses none and applies none twice: every event it
/// acknowledged was applied before the answer, and when the provider delivers again (every event, as a provider retries
/// those it had no answer for) on the restarted server, each is applied exactly once.
/// </summary>
public abstract class WebhookCrashTests
{
    const int Events = 1_500;
    const string Secret = "crash_razorpay_webhook_secret";

    protected abstract Task<ITestDatabase> CreateDatabaseAsync();

    protected virtual string[] Settings => [];

    string[] All => [.. Settings, "--Payments:Razorpay:KeyId=rzp_crash", "--Payments:Razorpay:KeySecret=crash", $"--Payments:Razorpay:WebhookSecret={Secret}"];

    static (string Id, string Body, string Signature) Event(int i, string customer)
    {
        var body = new JsonObject
        {
            ["entity"] = "event", ["account_id"] = "acc_crash", ["event"] = "payment.captured", ["contains"] = new JsonArray("payment"),
            ["payload"] = new JsonObject
            {
                ["payment"] = new JsonObject
                {
                    ["entity"] = new JsonObject
                    {
                        ["id"] = $"pay_crash{i:D6}", ["entity"] = "payment", ["amount"] = 149900, ["currency"] = "INR", ["status"] = "captured", ["captured"] = true,
                        ["method"] = "upi", ["notes"] = new JsonObject { ["tollgate_customer_id"] = customer }, ["created_at"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                    },
                },
            },
            ["created_at"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        }.ToJsonString();
        return ($"evt_crash{i:D6}", body, Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(body))));
    }

    static async Task<bool> DeliverAsync(HttpClient http, (string Id, string Body, string Signature) e)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/razorpay") { Content = new StringContent(e.Body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Razorpay-Event-Id", e.Id);
        request.Headers.Add("X-Razorpay-Signature", e.Signature);
        try
        {
            using var response = await http.SendAsync(request);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false; // no answer: the process died under it
        }
    }

    [Fact]
    public async Task Kill_9_while_webhooks_arrive_loses_none_it_acknowledged_and_a_redelivery_applies_each_once()
    {
        await using var database = await CreateDatabaseAsync();
        var adminKey = GatewayUsageDurabilityTests.AdminKey();
        await using var db = new Database(ConnectionTarget.Parse(database.ConnectionString));
        (string Id, string Body, string Signature)[] events;
        var acknowledged = new ConcurrentBag<string>();
        await using (var first = await TollgateProcess.StartAsync(database.ConnectionString, adminKey, All))
        {
            var customer = (await new ApiClient(first.BaseAddress, adminKey).PostAsync("/api/v1/customers", new { name = "Paid often", country = "IN" })).Id;
            events = [.. Enumerable.Range(0, Events).Select(i => Event(i, customer))];
            using var http = new HttpClient { BaseAddress = first.BaseAddress };
            var sending = Parallel.ForEachAsync(events, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (e, _) =>
            {
                if (await DeliverAsync(http, e)) acknowledged.Add(e.Id);
            });
            var deadline = Stopwatch.StartNew();
            while (await CountAsync(db, "payments") < 100 && deadline.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(5);
            await first.KillAsync();
            await sending;
        }

        var applied = await CountAsync(db, "payments");
        applied.ShouldBeInRange(100, Events - 1, "the kill must come while the events arrive");
        await using (var connection = await db.OpenAsync())
        {
            var recorded = (await connection.QueryAsync<string>("SELECT event_id FROM provider_events")).ToHashSet();
            acknowledged.ShouldAllBe(id => recorded.Contains(id), "every event answered 200 was recorded, with its effect, before its answer");
            (await CountAsync(db, "provider_events")).ShouldBe(applied, "an event is recorded in the transaction of its effect, or not at all");
        }

        await using var second = await TollgateProcess.StartAsync(database.ConnectionString, adminKey, All);
        using (var http = new HttpClient { BaseAddress = second.BaseAddress })
        {
            foreach (var chunk in events.Chunk(100)) (await Task.WhenAll(chunk.Select(e => DeliverAsync(http, e)))).ShouldAllBe(ok => ok);
        }

        (await CountAsync(db, "payments")).ShouldBe(Events, "each event applied exactly once");
        (await CountAsync(db, "provider_events")).ShouldBe(Events);
        await using var check = await db.OpenAsync();
        (await check.ExecuteScalarAsync<long>("SELECT COUNT(DISTINCT provider_payment_id) FROM payments")).ShouldBe(Events);
    }

    static async Task<long> CountAsync(Database db, string table)
    {
        await using var connection = await db.OpenAsync();
        return await connection.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {table}");
    }
}

public sealed class WebhookCrashOnSqlite : WebhookCrashTests
{
    protected override Task<ITestDatabase> CreateDatabaseAsync() => Task.FromResult<ITestDatabase>(new SqliteTestDatabase());
}

public sealed class WebhookCrashOnPostgres : WebhookCrashTests
{
    protected override string[] Settings => [$"--Secrets:Key={Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}"];

    protected override async Task<ITestDatabase> CreateDatabaseAsync() => await PostgresTestDatabase.CreateAsync();
}
