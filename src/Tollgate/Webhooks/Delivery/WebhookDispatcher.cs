using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.Extensions.Options;
using Tollgate.Common;
using Tollgate.Storage;
using Tollgate.Webhooks.Endpoints;

namespace Tollgate.Webhooks.Delivery;

/// <summary>
/// Delivers the outbox on every node: fans new events out to the endpoints that hear them, then claims due deliveries
/// and makes each attempt on its own, up to <see cref="WebhookOptions.Concurrency"/> at once and
/// <see cref="WebhookOptions.ConcurrencyPerEndpoint"/> per endpoint, so a slow endpoint holds only its own share. Each
/// answer is recorded with the delivery's next state (<see cref="RetrySchedule"/>): 2xx delivers, 410 disables the
/// endpoint at once, and an endpoint whose attempts have all failed for <see cref="WebhookOptions.DisableAfterFailingFor"/>
/// is disabled with a <c>webhook_endpoint.disabled</c> event to the operator. Claims are leases, so a node killed mid-attempt
/// leaves its deliveries to be claimed again when the lease runs out: delivered at least once, in no promised order.
/// </summary>
public sealed class WebhookDispatcher(
    DeliveryStore store, WebhookSender sender, NodeIdentity node, IOptions<WebhookOptions> options, TimeProvider time, ILogger<WebhookDispatcher> logger) : BackgroundService
{
    const int FanOutBatch = 500;

    /// <summary>
    /// How long a claim holds: twice what an attempt may take, so a live node's attempt is recorded before another node
    /// may claim it; a killed node's deliveries are claimed again that much after it died.
    /// </summary>
    TimeSpan Lease => options.Value.AttemptTimeout * 2;

    readonly ConcurrentDictionary<string, int> _inFlightByEndpoint = new(StringComparer.Ordinal);
    /// <summary>Attempts started and not yet recorded (what <see cref="DrainAsync"/> waits for).</summary>
    readonly ConcurrentDictionary<Task, byte> _inFlight = new();

    /// <summary>Attempts waiting for their endpoint's answer: what <see cref="WebhookOptions.Concurrency"/> bounds.</summary>
    int _sending;

    /// <summary>Answers waiting for their record's group to commit.</summary>
    int _unrecorded;
    readonly string _owner = node.Id;

    /// <summary>One round at a time on a node (the loop's, or one a caller runs), so that when a round returns, what it claimed has started.</summary>
    readonly SemaphoreSlim _rounds = new(1, 1);

    /// <summary>Released each time an attempt ends: a round waiting for room claims again.</summary>
    readonly SemaphoreSlim _slotFreed = new(0);
    DateTimeOffset _prunedAt = DateTimeOffset.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Periodic.RunAsync(options.Value.PollInterval, time, RoundAsync, e => logger.LogWarning(e, "Webhook delivery round failed; the next one tries again."), stoppingToken,
            startAtOnce: true);
        await DrainAsync(); // attempts under way finish (each has its timeout) before the host stops
    }

    /// <summary>Waits for the attempts under way on this node to be made and recorded.</summary>
    public Task DrainAsync() => Task.WhenAll(_inFlight.Keys);

    /// <summary>One round: everything fanned out, then as many due deliveries started as there is room for.</summary>
    public async Task RoundAsync(CancellationToken ct)
    {
        await _rounds.WaitAsync(ct);
        try
        {
            await FanOutAndStartAsync(ct);
        }
        finally
        {
            _rounds.Release();
        }
    }

    /// <summary>
    /// Claims and fans out until nothing more is due: deliveries already due (retries, what a dead node held, what did
    /// not fit an endpoint's share) first, then new events, whose deliveries the fan-out leases itself. When the slots
    /// are taken it waits for attempts to end and goes on at once, so a busy node sends as fast as its slots turn over,
    /// not one claim per poll; and it claims again only once a handful of slots is free, not one delivery per answer.
    /// </summary>
    async Task FanOutAndStartAsync(CancellationToken ct)
    {
        var claimMore = true; // retries come due and dead nodes' leases run out between rounds
        var fanOutMore = true;
        var dueFor = new HashSet<string>(StringComparer.Ordinal); // endpoints that may have deliveries due beyond what was claimed
        IReadOnlyCollection<string> blockedOn = []; // the endpoints whose full shares stopped the fan-out
        // Whether a claim, or a fan-out, may bring anything to start with these shares.
        bool ClaimWorth(Shares s) => claimMore || dueFor.Any(id => s.Left(id) > 0);
        bool FanOutWorth(Shares s) => fanOutMore && (blockedOn.Count == 0 || blockedOn.Any(id => s.Left(id) > 0));
        while (true)
        {
            var started = 0;
            var shares = Shares();
            if (shares.Room > 0 && ClaimWorth(shares))
            {
                var due = await store.ClaimAsync(ClaimToken(), shares, Lease, time, ct);
                foreach (var delivery in due) Start(delivery);
                started += due.Count;
                claimMore = due.Count == shares.Room;
                var got = due.CountBy(d => d.Endpoint.Id).ToDictionary(StringComparer.Ordinal);
                // An endpoint that got all it had room for may have more; one that got less, unless room ran out, has none.
                foreach (var (id, count) in got)
                {
                    if (count >= shares.Left(id)) dueFor.Add(id);
                }

                if (!claimMore) dueFor.RemoveWhere(id => shares.Left(id) > got.GetValueOrDefault(id));
            }

            shares = Shares();
            if (shares.Room > 0 && FanOutWorth(shares))
            {
                var fanned = await store.FanOutAsync(Math.Min(shares.Room, FanOutBatch), shares, ClaimToken(), Lease, time, ct);
                foreach (var delivery in fanned.Claimed) Start(delivery);
                started += fanned.Claimed.Count;
                dueFor.UnionWith(fanned.Unclaimed);
                (fanOutMore, blockedOn) = (fanned.More, fanned.Blocked);
            }

            if (!claimMore && !fanOutMore && dueFor.Count == 0) break; // all that is due is under way
            if (started == 0 && Volatile.Read(ref _sending) + Volatile.Read(ref _unrecorded) == 0) break; // nothing to wait for: the next poll looks again
            var worthIt = await RoomAsync(s => ClaimWorth(s) || FanOutWorth(s), ct);
            if (!worthIt) break; // slow endpoints hold their shares: the next round looks at everything afresh
        }

        await PruneAsync(ct);
    }

    string ClaimToken() => $"{_owner}:{Guid.NewGuid():N}";

    /// <summary>
    /// What may start now: slots free of <see cref="WebhookOptions.Concurrency"/>, less what waits to be recorded past
    /// as many again, so that what a kill can make arrive twice (sent, not yet recorded) stays under twice the concurrency.
    /// </summary>
    Shares Shares()
    {
        var concurrency = options.Value.Concurrency;
        var sending = Volatile.Read(ref _sending);
        var room = Math.Min(concurrency - sending, 2 * concurrency - sending - Volatile.Read(ref _unrecorded));
        return new Shares(room, options.Value.ConcurrencyPerEndpoint, _inFlightByEndpoint);
    }

    /// <summary>
    /// Waits until a claim or a fan-out is worth making: an eighth of the slots free, and <paramref name="worth"/> (an
    /// endpoint held back has room again); or until nothing is in flight, nor waits to be recorded. False when no attempt
    /// has ended for a poll interval (slow endpoints): the round ends, so that new events are not kept waiting behind them.
    /// </summary>
    async Task<bool> RoomAsync(Func<Shares, bool> worth, CancellationToken ct)
    {
        var least = Math.Max(1, options.Value.Concurrency / 8);
        while (Volatile.Read(ref _sending) + Volatile.Read(ref _unrecorded) > 0)
        {
            var shares = Shares();
            if (shares.Room >= least && worth(shares)) return true;
            if (!await _slotFreed.WaitAsync(options.Value.PollInterval, ct)) return false;
        }

        return true;
    }

    /// <summary>
    /// Starts an attempt. Its slot (and its endpoint's share) is free again once the endpoint has answered; its record
    /// joins the next group to commit, so slots turn over at the speed of the endpoints, not of the database's syncs.
    /// </summary>
    void Start(DueDelivery delivery)
    {
        Interlocked.Increment(ref _sending);
        _inFlightByEndpoint.AddOrUpdate(delivery.Endpoint.Id, 1, (_, n) => n + 1);
        var freed = 0;
        void Answered()
        {
            if (Interlocked.Exchange(ref freed, 1) == 1) return;
            Interlocked.Decrement(ref _sending);
            _inFlightByEndpoint.AddOrUpdate(delivery.Endpoint.Id, 0, (_, n) => n - 1);
            _slotFreed.Release();
        }

        var attempt = AttemptAsync(delivery, Answered);
        _inFlight.TryAdd(attempt, 0);
        attempt.ContinueWith(t =>
        {
            _inFlight.TryRemove(t, out _);
            Answered();
        }, TaskScheduler.Default);
    }

    /// <summary>
    /// Makes the attempt and records it. Neither is cut short when the host stops: the attempt has its own timeout,
    /// and an answer received is recorded (else its delivery would be sent again when its lease ran out).
    /// </summary>
    async Task AttemptAsync(DueDelivery delivery, Action answered)
    {
        try
        {
            await Task.Yield();
            var outcome = await sender.SendAsync(delivery, CancellationToken.None);
            Interlocked.Increment(ref _unrecorded); // before its slot frees: sent and unrecorded never dips below the truth
            answered();
            try
            {
                await RecordAsync(delivery, outcome);
            }
            finally
            {
                Interlocked.Decrement(ref _unrecorded);
                _slotFreed.Release();
            }
        }
        catch (Exception e)
        {
            // Its lease runs out and the delivery is claimed again.
            logger.LogWarning(e, "Webhook attempt {Delivery} to {Endpoint} could not be made or recorded.", delivery.Id, delivery.Endpoint.Id);
        }
    }

    /// <summary>
    /// Records the attempt with its delivery's next state. Attempts ending together are recorded together: whoever
    /// finds none recording records every one waiting, its own among them, in one transaction (a group commit, as the
    /// webhook receiver's), and each waits for that commit. A group that fails is recorded again one at a time.
    /// </summary>
    async Task RecordAsync(DueDelivery delivery, AttemptOutcome outcome)
    {
        var now = time.GetUtcNow();
        var attempt = new WebhookAttempt(
            Ids.New(DeliveryStore.AttemptPrefix, time), delivery.Id, delivery.Endpoint.Id, delivery.MessageId, _owner, now, outcome.StatusCode, outcome.LatencyMs, outcome.Succeeded,
            outcome.ResponseExcerpt, outcome.Error);
        var next = outcome.Succeeded || outcome.Gone ? null : RetrySchedule.Next(delivery.Attempts + 1, now, Random.Shared.NextDouble());
        var status = outcome.Succeeded ? "succeeded" : next is null ? "failed" : "pending";
        var waiting = new WaitingRecord(new RecordedAttempt(delivery, outcome, attempt, status, next));
        _records.Enqueue(waiting);
        while (!waiting.Done.Task.IsCompleted)
        {
            await _recorder.WaitAsync();
            try
            {
                if (!waiting.Done.Task.IsCompleted) await RecordWaitingAsync();
            }
            finally
            {
                _recorder.Release();
            }
        }

        await waiting.Done.Task;
    }

    async Task RecordWaitingAsync()
    {
        var group = new List<WaitingRecord>(MostPerRecord);
        while (group.Count < MostPerRecord && _records.TryDequeue(out var next)) group.Add(next);
        if (group.Count == 0) return;
        try
        {
            await store.RecordAsync([.. group.Select(g => g.Attempt)], HealthOfGroup(), CancellationToken.None);
            group.ForEach(g => g.Done.TrySetResult());
        }
        catch (Exception) when (group.Count > 1)
        {
            foreach (var one in group)
            {
                try
                {
                    await store.RecordAsync([one.Attempt], HealthOfGroup(), CancellationToken.None);
                    one.Done.TrySetResult();
                }
                catch (Exception e)
                {
                    one.Done.TrySetException(e);
                }
            }
        }
        catch (Exception e)
        {
            group[0].Done.TrySetException(e);
        }
    }

    /// <summary>What each attempt of a group says of its endpoint's health, in the group's transaction and in order.</summary>
    Func<DbTransaction, RecordedAttempt, Task> HealthOfGroup()
    {
        var lastSucceeded = new HashSet<string>(StringComparer.Ordinal);
        return (tx, recorded) =>
        {
            var endpointId = recorded.Delivery.Endpoint.Id;
            if (recorded.Outcome.Succeeded)
            {
                // After a success of this group, another changes nothing more: the streak, if any, is ended already.
                if (!lastSucceeded.Add(endpointId)) return Task.CompletedTask;
            }
            else
            {
                lastSucceeded.Remove(endpointId);
            }

            return EndpointHealth.AfterAttemptAsync(tx, recorded.Delivery.Endpoint, recorded.Outcome, recorded.Attempt.AttemptedAt, options.Value.DisableAfterFailingFor, time);
        };
    }

    const int MostPerRecord = 500;
    readonly ConcurrentQueue<WaitingRecord> _records = new();
    readonly SemaphoreSlim _recorder = new(1, 1);

    sealed record WaitingRecord(RecordedAttempt Attempt)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    async Task PruneAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (now - _prunedAt < TimeSpan.FromHours(1)) return;
        _prunedAt = now;
        var pruned = await store.PruneAttemptsAsync(now - options.Value.AttemptRetention, ct);
        if (pruned > 0) logger.LogInformation("Forgot {Count} webhook attempts older than {Retention}.", pruned, options.Value.AttemptRetention);
    }
}

