using System.Collections.Concurrent;

namespace Tollgate.Entitlements.Quotas;

/// <summary>
/// This node's side of hard quotas. Each quota it serves has a lease: units taken from the database in chunks
/// (<see cref="QuotaStore"/>). A reservation takes units from the lease under a lock, so concurrent requests can never
/// take the same unit twice; when the lease runs out, one request at a time leases more while the others wait for it.
/// Settling gives back what a request reserved but did not use; idle leases and the leases of a stopping node go back
/// to the database for other nodes.
/// </summary>
public sealed class QuotaLedger(QuotaStore store, TimeProvider time, ILogger<QuotaLedger> log) : BackgroundService
{
    /// <summary>A lease untouched this long goes back to the database.</summary>
    public static readonly TimeSpan IdleReturn = TimeSpan.FromSeconds(5);

    readonly ConcurrentDictionary<QuotaKey, Lease> _leases = new();

    /// <summary>Reserves <paramref name="amount"/> units of a quota of <paramref name="limit"/>; false when that would pass the limit.</summary>
    public async ValueTask<bool> TryReserveAsync(QuotaKey key, long limit, long amount, Func<CancellationToken, Task<long>> baseline, CancellationToken ct)
    {
        if (amount <= 0) return true;
        var lease = _leases.GetOrAdd(key, _ => new Lease());
        if (lease.TryTake(amount, time.GetTimestamp())) return true;

        await lease.Refill.WaitAsync(ct);
        try
        {
            // Whoever held the refill before may have leased enough for this request too.
            if (lease.TryTake(amount, time.GetTimestamp())) return true;
            var leased = await store.LeaseAsync(key, limit, amount - lease.Units, baseline, ct);
            lease.Add(leased);
            return lease.TryTake(amount, time.GetTimestamp());
        }
        finally
        {
            lease.Refill.Release();
        }
    }

    /// <summary>A reservation ends: what it held goes back to the lease, and what it really used comes out.</summary>
    public void Settle(QuotaKey key, long reserved, long used)
    {
        if (_leases.TryGetValue(key, out var lease)) lease.Settle(reserved, used);
        else if (used != reserved) log.LogWarning("A reservation on {Feature} settled after its lease was returned.", key.Feature);
    }

    /// <summary>Returns the unused units of leases idle for <see cref="IdleReturn"/>, or of all when <paramref name="all"/>.</summary>
    public async Task ReturnIdleAsync(bool all, CancellationToken ct)
    {
        var now = time.GetTimestamp();
        foreach (var (key, lease) in _leases)
        {
            if (!all && time.GetElapsedTime(lease.LastUsed, now) < IdleReturn) continue;
            if (!await lease.Refill.WaitAsync(0, ct)) continue;
            try
            {
                var units = lease.TakeAll();
                if (units > 0) await store.ReturnAsync(key, units, ct);
                if (lease.Units == 0 && lease.InFlight == 0) _leases.TryRemove(new KeyValuePair<QuotaKey, Lease>(key, lease));
            }
            finally
            {
                lease.Refill.Release();
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await ReturnIdleAsync(false, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogWarning(e, "Returning idle quota leases failed; will retry.");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
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
            log.LogWarning(e, "Returning quota leases at shutdown failed; their units stay allocated until the period ends.");
        }
    }

    sealed class Lease
    {
        readonly Lock _lock = new();

        public SemaphoreSlim Refill { get; } = new(1, 1);

        public long Units { get; private set; }

        /// <summary>Units handed to requests not yet settled.</summary>
        public long InFlight { get; private set; }

        public long LastUsed { get; private set; }

        public bool TryTake(long amount, long now)
        {
            lock (_lock)
            {
                LastUsed = now;
                if (Units < amount) return false;
                Units -= amount;
                InFlight += amount;
                return true;
            }
        }

        public void Add(long leased)
        {
            lock (_lock) Units += leased;
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
                return units;
            }
        }
    }
}
