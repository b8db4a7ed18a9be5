using System.Diagnostics;
using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Tollgate.ApiKeys;
using Tollgate.Counters;
using Tollgate.IntegrationTests.Gateway;
using Tollgate.IntegrationTests.Infrastructure;
using Tollgate.Storage;

namespace Tollgate.IntegrationTests.Cluster;

/// <summary>
/// Nodes agree on time and hear every change: on a PostgreSQL server of its own, because one test stops the node's
/// own change sender, which the other tests of the shared server rely on.
/// </summary>
public sealed class ClusterTimeAndChangeTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task A_node_whose_clock_runs_an_hour_ahead_takes_no_live_node_for_dead()
    {
        var database = server.Get<Database>();
        await server.Get<NodeRegistry>().BeatAsync(CancellationToken.None);
        var ahead = new FakeTime();
        ahead.Advance(TimeSpan.FromHours(1));
        var skewed = new NodeIdentity();

        var reclaimed = await new NodeRegistry(database, skewed, new CounterLedger(new CounterStore(database, skewed, ahead), ahead, NullLogger<CounterLedger>.Instance),
            ahead, NullLogger<NodeRegistry>.Instance).BeatAsync(CancellationToken.None);

        reclaimed.ShouldBe(0);
        await using var connection = await database.OpenAsync();
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM nodes WHERE id = @id", new { id = server.Get<NodeIdentity>().Id })).ShouldBe(1);
    }

    /// <summary>
    /// The notification of a revocation is part of the transaction that revokes: with the node's own sending loop stopped
    /// (as if the node died right after its commit), another listener still hears it.
    /// </summary>
    [Fact]
    public async Task A_revocation_and_catalog_changes_are_announced_by_the_transactions_that_commit_them()
    {
        var customer = await server.CustomerAsync("free");
        var keyId = (await server.Admin.GetAsync($"/api/v1/keys?customer_id={customer.Id}")).Data[0]!["id"]!.GetValue<string>();
        var payloads = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var listener = new NpgsqlConnection(server.ConnectionString);
        await listener.OpenAsync();
        listener.Notification += (_, e) => payloads.Enqueue(e.Payload);
        await using (var listen = new NpgsqlCommand($"LISTEN {ClusterChanges.Channel}", listener)) await listen.ExecuteNonQueryAsync();
        await server.Services.GetServices<IHostedService>().OfType<ClusterChanges>().Single().StopAsync(CancellationToken.None);

        async Task<string> HeardAsync(Func<Task> change, string expected, string what)
        {
            payloads.Clear();
            await change();
            var watch = Stopwatch.StartNew();
            while (!payloads.Any(p => p.Contains(expected, StringComparison.Ordinal)) && watch.Elapsed < TimeSpan.FromSeconds(10))
            {
                await listener.WaitAsync(TimeSpan.FromMilliseconds(100));
            }

            return payloads.FirstOrDefault(p => p.Contains(expected, StringComparison.Ordinal)) ?? throw new ShouldAssertException($"the notification of {what} never arrived");
        }

        (await HeardAsync(async () => (await server.Admin.PostAsync($"/api/v1/keys/{keyId}/revoke")).Status.ShouldBe(HttpStatusCode.OK), $"Key|{keyId}", "a revocation"))
            .ShouldContain($"Key|{keyId}");
        var code = "m_" + Guid.NewGuid().ToString("N")[..8];
        await HeardAsync(async () => (await server.Admin.PutAsync($"/api/v1/metrics/{code}", new { code, name = "Calls", @event = code, aggregation = "count" })).Status.ShouldBe(HttpStatusCode.OK),
            "Catalog", "a metric written");
        await HeardAsync(async () => (await server.Admin.PostAsync("/api/v1/catalog/apply", new { features = new[] { new { code = "f_" + code, name = "A switch", type = "boolean" } } })).Status.ShouldBe(HttpStatusCode.OK),
            "Catalog", "a catalog applied");
    }

    /// <summary>
    /// A key revoked behind the node's back (its notification lost) stops working within the revalidation bound: the
    /// cached copy is read again once it is older than <see cref="ApiKeyCache.RevalidateAfter"/>.
    /// </summary>
    [Fact]
    public async Task A_cached_key_whose_revocation_notice_was_lost_is_refused_once_its_copy_is_due_again()
    {
        var customer = await server.CustomerAsync("free");
        var client = server.Client(customer.Key);
        (await client.GetAsync($"/api/v1/customers/{customer.Id}/entitlements")).Status.ShouldBe(HttpStatusCode.OK); // cached now
        await using (var connection = await server.Get<Database>().OpenAsync())
        {
            await connection.ExecuteAsync("UPDATE api_keys SET revoked_at = @now WHERE customer_id = @id", new { now = server.Clock.GetUtcNow(), id = customer.Id });
        }

        (await client.GetAsync($"/api/v1/customers/{customer.Id}/entitlements")).Status.ShouldBe(HttpStatusCode.OK); // the copy is young
        server.Clock.Advance(ApiKeyCache.RevalidateAfter + TimeSpan.FromSeconds(1));

        var watch = Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            status = (await client.GetAsync($"/api/v1/customers/{customer.Id}/entitlements")).Status;
        }
        while (status == HttpStatusCode.OK && watch.Elapsed < TimeSpan.FromSeconds(10));

        status.ShouldBe(HttpStatusCode.Unauthorized);
    }
}
