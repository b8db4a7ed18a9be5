using System.Collections.Concurrent;
using Tollgate.Common;

namespace Tollgate.Counters;

/// <summary>
/// This node's side of shared counters (hard quotas, rate limits, budgets). Each counter it serves has a lease: units
/// taken from the database in chunks (<see cref="CounterStore"/>). A reservation takes units from the lease under a lock, so concurrent requests can never
/// take the same unit twice; when the lease runs out, one request at a time leases more while the others wait for it.
/// Settling gives back what a request reserved but did not use, and a request that used more than it reserved leaves
/// its lease owing: the debt is charged to the database within a tick (or by the next lease), so other nodes cannot
/// lease units already spent. Idle leases and the leases of a stopping node go back to the database for other nodes; a
/// lease handed back is retired under its lock, and a request that found it just before tries a fresh one, so no
/// reservation is ever taken from a lease nobody will settle.
/// </summary>
public sealed partial class CounterLedger(CounterStore store, TimeProvider time, ILogger<CounterLedger> log) : BackgroundService
{
    /// <summary>A lease untouched this long goes back to the database.</summary>
    public static readonly TimeSpan IdleReturn = TimeSpan.FromSeconds(5);

    readonly ConcurrentDictionary<CounterKey, Lease> _leases = new();

    /// <summary>Counters whose period ended this long ago are deleted.</summary>
    public static readonly TimeSpan ExpiredKeep = TimeSpan.FromDays(1);

    /// <summary>Reserves <paramref name="amount"/> units of a counter of <paramref name="limit"/>; false when that would pass the limit.</summary>
    public ValueTask<bool> TryReserveAsync(CounterKey key, long limit, long amount, Func<CancellationToken, Task<long>> baseline, CancellationToken ct) =>
        TryReserveAsync(key, limit, amount, static (read, c) => read(c), baseline, ct);

    /// <summary>
    /// As the overload above, with the baseline read from <paramref name="state"/> by a static function, so a request
    /// served from its lease allocates nothing here.
    /// </summary>
    public async ValueTask<bool> TryReserveAsync<TState>(
        CounterKey key, long limit, long amount, Func<TState, CancellationToken, Task<long>> baseline, TState state, CancellationToken ct)
    {
        if (amount <= 0) return true;
        while (true)
        {
            var lease = _leases.GetOrAdd(key, _ => new Lease());
            var taken = lease.TryTake(amount, time.GetTimestamp());
            if (taken == Take.Taken) return true;
            if (taken == Take.Retired) continue;

            await lease.Refill.WaitAsync(ct);
            try
            {
                // Whoever held the refill before may have leased enough for this request too, or handed the lease back.
                taken = lease.TryTake(amount, time.GetTimestamp());
                if (taken == Take.Taken) return true;
                if (taken == Take.Retired) continue;

                // A lease that owes units (a request used more than it reserved) asks for its debt too.
                var leased = await store.LeaseAsync(key, limit, amount - lease.Units, c => baseline(state, c), ct);
                lease.Add(leased.Units, leased.Allocated);
                return lease.TryTake(amount, time.GetTimestamp()) == Take.Taken;
            }
            finally
            {
                lease.Refill.Release();
            }
        }
    }

    /// <summary>
    /// What is left of a counter as this node knows it: the limit, less what the database had handed out at this node's
    /// last lease, plus what this node holds unused. Other nodes' use since that lease is not seen, so across nodes
    /// this is an upper bound; on one node it is exact.
    /// </summary>
    public long Remaining(CounterKey key, long limit) =>
        _leases.TryGetValue(key, out var lease) ? Math.Clamp(limit - lease.Allocated + lease.Units, 0, limit) : limit;

    /// <summary>A reservation ends: what it held goes back to the lease, and what it really used comes out.</summary>
    public void Settle(CounterKey key, long reserved, long used)
    {
        if (_leases.TryGetValue(key, out var lease)) lease.Settle(reserved, used);
        else if (used != reserved) LogSettledAfterReturn(log, key.Counter);
    }

    /// <summary>
    /// Forgets the leases of the counters <paramref name="which"/> selects without giving anything back: the database
    /// already took them back (this node was taken for dead). Their requests in flight settle to nothing.
    /// </summary>
    public void Abandon(Func<CounterKey, bool> which)
    {
        foreach (var key in _leases.Keys)
        {
            if (which(key)) _leases.TryRemove(key, out _);
        }
    }

    /// <summary>
    /// Charges what leases owe to the database, and returns the unused units of leases idle for <see cref="IdleReturn"/>
    /// (of all when <paramref name="all"/>), retiring those left empty.
    /// </summary>
    public async Task ReturnIdleAsync(bool all, CancellationToken ct)
    {
        var now = time.GetTimestamp();
        foreach (var (key, lease) in _leases)
        {
            var idle = all || time.GetElapsedTime(lease.LastUsed, now) >= IdleReturn;
            if (!idle && lease.Units >= 0) continue;
            if (!await lease.Refill.WaitAsync(0, ct)) continue;
            try
            {
                if (lease.Owed() is var owed and > 0)
                {
                    await store.ChargeAsync(key, owed, ct);
                    lease.Add(owed, lease.Allocated + owed);
                }

                if (!idle) continue;
                var units = lease.TakeAll();
                if (units > 0) await store.ReturnAsync(key, units, ct);
                if (lease.TryRetire()) _leases.TryRemove(new KeyValuePair<CounterKey, Lease>(key, lease));
            }
            finally
            {
                lease.Refill.Release();
            }
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextCleanup = time.GetUtcNow();
        return Periodic.RunAsync(TimeSpan.FromSeconds(1), time, async ct =>
        {
            await ReturnIdleAsync(false, ct);
            if (time.GetUtcNow() < nextCleanup) return;
            await store.DeleteExpiredAsync(time.GetUtcNow() - ExpiredKeep, ct);
            nextCleanup = time.GetUtcNow().AddHours(1);
        }, e => LogReturnIdleFailed(log, e), stoppingToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await ReturnIdleAsync(true, cancellationToken);
        }
        catch (Exception e)
        {
            LogReturnAtShutdownFailed(log, e);
        }
    }

    enum Take
    {
        Taken,
        Short,
        Retired,
    }

    sealed class Lease
    {
        readonly Lock _lock = new();
        bool _retired;

        public SemaphoreSlim Refill { get; } = new(1, 1);

        public long Units { get; private set; }

        /// <summary>Units handed to requests not yet settled.</summary>
        public long InFlight { get; private set; }

        public long LastUsed { get; private set; }

        /// <summary>How much of the limit the database had handed out, all nodes together, at this node's last lease.</summary>
        public long Allocated { get; private set; }

        public Take TryTake(long amount, long now)
        {
            lock (_lock)
            {
                if (_retired) return Take.Retired;
                LastUsed = now;
                if (Units < amount) return Take.Short;
                Units -= amount;
                InFlight += amount;
                return Take.Taken;
            }
        }

        /// <summary>Units used beyond what was reserved and leased: spent, but not yet counted in the database.</summary>
        public long Owed()
        {
            lock (_lock) return Math.Max(0, -Units);
        }

        /// <summary>Retires an empty lease with nothing in flight: it can never be taken from or refilled again.</summary>
        public bool TryRetire()
        {
            lock (_lock)
            {
                if (Units != 0 || InFlight != 0) return false;
                _retired = true;
                return true;
            }
        }

        public void Add(long leased, long allocated)
        {
            lock (_lock)
            {
                Units += leased;
                Allocated = allocated;
            }
        }

        /// <summary>What a request reserved comes back and what it used goes out: negative when it used more than it reserved.</summary>
        public void Settle(long reserved, long used)
        {
            lock (_lock)
            {
                Units += reserved - used;
                InFlight -= reserved;
            }
        }

        public long TakeAll()
        {
            lock (_lock)
            {
                var units = Math.Max(0, Units);
                Units -= units;
                Allocated -= units;
                return units;
            }
        }
    }

    [LoggerMessage(EventId = 11001, Level = LogLevel.Warning, Message = "A reservation on {Counter} settled after its lease was returned.")]
    static partial void LogSettledAfterReturn(ILogger logger, string counter);

    [LoggerMessage(EventId = 11002, Level = LogLevel.Warning, Message = "Returning idle counter leases failed; will retry.")]
    static partial void LogReturnIdleFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 11003, Level = LogLevel.Warning,
        Message = "Returning counter leases at shutdown failed; their units stay allocated until the period ends.")]
    static partial void LogReturnAtShutdownFailed(ILogger logger, Exception exception);
}
