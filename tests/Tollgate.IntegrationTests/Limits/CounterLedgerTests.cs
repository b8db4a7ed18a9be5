using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Tollgate.Counters;
using Tollgate.IntegrationTests.Infrastructure;
using Tollgate.Storage;

namespace Tollgate.IntegrationTests.Limits;

/// <summary>
/// The ledger against the real counter tables, on the test clock: a ledger of its own per test (not the server's
/// hosted one), driven by hand, so idle returns happen exactly when the clock says.
/// </summary>
public abstract class CounterLedgerTests(TollgateServer server)
{
    CounterLedger NewLedger() => new(server.Get<CounterStore>(), server.Clock, NullLogger<CounterLedger>.Instance);

    static CounterKey PeriodKey() => new($"cus_{Guid.NewGuid():N}", "requests", new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero));

    static CounterKey InFlightKey() => new($"cus_{Guid.NewGuid():N}", "concurrent", DateTimeOffset.UnixEpoch, null);

    static Task<long> Nothing(CancellationToken _) => Task.FromResult(0L);

    async Task<long> AllocatedAsync(CounterKey key)
    {
        await using var connection = await server.Get<Database>().OpenAsync();
        return await connection.QuerySingleOrDefaultAsync<long?>(
            "SELECT allocated FROM counters WHERE subject = @Subject AND counter = @Counter AND period_start = @PeriodStart",
            new { key.Subject, key.Counter, key.PeriodStart }) ?? 0;
    }

    [Fact]
    public async Task A_lease_goes_back_only_after_it_has_been_idle_for_the_idle_time()
    {
        var ledger = NewLedger();
        var key = PeriodKey();
        (await ledger.TryReserveAsync(key, 1000, 1, Nothing, CancellationToken.None)).ShouldBeTrue();
        ledger.Settle(key, 1, 1);
        var leased = await AllocatedAsync(key);

        server.Clock.Advance(CounterLedger.IdleReturn - TimeSpan.FromSeconds(1));
        await ledger.ReturnIdleAsync(false, CancellationToken.None);
        var early = await AllocatedAsync(key);
        server.Clock.Advance(TimeSpan.FromSeconds(2));
        await ledger.ReturnIdleAsync(false, CancellationToken.None);

        leased.ShouldBeGreaterThan(1);
        early.ShouldBe(leased);
        (await AllocatedAsync(key)).ShouldBe(1);
    }

    [Fact]
    public async Task Units_used_beyond_a_reservation_are_charged_to_the_shared_counter_so_no_other_node_can_lease_them()
    {
        var ledger = NewLedger();
        var other = NewLedger();
        var key = PeriodKey();
        (await ledger.TryReserveAsync(key, 100, 10, Nothing, CancellationToken.None)).ShouldBeTrue();

        ledger.Settle(key, reserved: 10, used: 90);
        await ledger.ReturnIdleAsync(false, CancellationToken.None); // the next tick, the lease not idle

        (await AllocatedAsync(key)).ShouldBeGreaterThanOrEqualTo(90);
        (await other.TryReserveAsync(key, 100, 11, Nothing, CancellationToken.None)).ShouldBeFalse();
        (await other.TryReserveAsync(key, 100, 10, Nothing, CancellationToken.None)).ShouldBeTrue();
        server.Clock.Advance(CounterLedger.IdleReturn);
        await ledger.ReturnIdleAsync(true, CancellationToken.None);
        await other.ReturnIdleAsync(true, CancellationToken.None);
        (await AllocatedAsync(key)).ShouldBe(100); // 90 used here, 10 reserved there and not settled
    }

    /// <summary>
    /// Requests in flight racing the idle return: every reservation settles, and when all leases are back the shared
    /// counter of requests at once is 0 again. A lease refilled after it was handed back kept its units for good.
    /// </summary>
    [Fact]
    public async Task A_lease_handed_back_is_never_refilled_so_concurrency_slots_never_leak()
    {
        var ledger = NewLedger();
        var key = InFlightKey();
        using var stop = new CancellationTokenSource();
        var returning = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested) await ledger.ReturnIdleAsync(true, CancellationToken.None);
        });

        await Parallel.ForAsync(0, 2000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, ct) =>
        {
            if (await ledger.TryReserveAsync(key, 1_000_000, 1, Nothing, ct)) ledger.Settle(key, reserved: 1, used: 0); // a slot held, then freed
        });
        await stop.CancelAsync();
        await returning;
        await ledger.ReturnIdleAsync(true, CancellationToken.None);

        (await AllocatedAsync(key)).ShouldBe(0);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class CounterLedgerOnSqlite(SqliteServer server) : CounterLedgerTests(server);

[Collection(PostgresCollection.Name)]
public sealed class CounterLedgerOnPostgres(PostgresServer server) : CounterLedgerTests(server);
