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

    /// <summary>Answers waiting to be recorded, at most: past it, no more is claimed until a group commits.</summary>
    const int MostUnrecorded = 2_000;
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
    /// Fans out and claims until nothing more is due: when every slot is taken, it waits for an attempt to end and
    /// claims again at once, so a busy node sends as fast as its slots turn over, not one claim per poll.
    /// </summary>
    async Task FanOutAndStartAsync(CancellationToken ct)
    {
        while (true)
        {
            while (await store.FanOutAsync(FanOutBatch, time.GetUtcNow(), time, ct) == FanOutBatch)
            {
            }

            var room = Math.Min(options.Value.Concurrency - Volatile.Read(ref _sending), MostUnrecorded - _unrecorded.Count);
            if (room <= 0)
            {
                await _slotFreed.WaitAsync(ct);
                continue;
            }

            var busy = _inFlightByEndpoint.Where(e => e.Value >= options.Value.ConcurrencyPerEndpoint).Select(e => e.Key).ToList();
            var now = time.GetUtcNow();
            var due = await store.ClaimAsync($"{_owner}:{Guid.NewGuid():N}", room, busy, now, now + Lease, ct);
            // One claim may bring more for an endpoint than its share: those beyond it go back at once, unsent.
            var excess = new List<DueDelivery>();
            foreach (var delivery in due)
            {
                if (_inFlightByEndpoint.GetValueOrDefault(delivery.Endpoint.Id) < options.Value.ConcurrencyPerEndpoint) Start(delivery);
                else excess.Add(delivery);
            }

            if (excess.Count > 0)
            {
                await store.ReleaseAsync(excess, ct);
                busy = [.. busy.Union(excess.Select(e => e.Endpoint.Id))];
            }

            if (due.Count < room && busy.Count == 0) break; // all that is due is under way
            // An endpoint at its share may have more waiting: claim again when one of the attempts under way ends.
            if (due.Count < room) await _slotFreed.WaitAsync(ct);
        }

        await PruneAsync(ct);
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
            answered();
            await RecordAsync(delivery, outcome);
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
        _unrecorded.Enqueue(waiting);
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
        while (group.Count < MostPerRecord && _unrecorded.TryDequeue(out var next)) group.Add(next);
        if (group.Count == 0) return;
        try
        {
            await store.RecordAsync([.. group.Select(g => g.Attempt)], HealthAsync, CancellationToken.None);
            group.ForEach(g => g.Done.TrySetResult());
            _slotFreed.Release(); // room under MostUnrecorded again
        }
        catch (Exception) when (group.Count > 1)
        {
            foreach (var one in group)
            {
                try
                {
                    await store.RecordAsync([one.Attempt], HealthAsync, CancellationToken.None);
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

    Task HealthAsync(DbTransaction tx, RecordedAttempt recorded) =>
        EndpointHealth.AfterAttemptAsync(tx, recorded.Delivery.Endpoint, recorded.Outcome, recorded.Attempt.AttemptedAt, options.Value.DisableAfterFailingFor, time);

    const int MostPerRecord = 500;
    readonly ConcurrentQueue<WaitingRecord> _unrecorded = new();
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
