using System.Threading.Channels;
using Tollgate.Alerts;
using Tollgate.Common;

namespace Tollgate.Gateway.Usage;

/// <summary>
/// Takes usage records off the request path: requests hand them over in memory and go on; one background loop writes
/// whatever has gathered (up to <see cref="BatchSize"/>) in one transaction, at most every <see cref="Linger"/>, so
/// the database sees a few transactions a second however busy the gateway is. A full batch or a flush is written at
/// once. A graceful shutdown writes everything queued.
/// </summary>
public sealed class UsageWriter(UsageStore store, ThresholdMonitor thresholds, ChangeFeed changes, ILogger<UsageWriter> log) : BackgroundService
{
    public const int BatchSize = 1000;
    public static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(50);

    readonly Channel<object> _queue = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    volatile TaskCompletionSource _urgent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    int _queued;

    public void Write(UsageRecord record)
    {
        if (!_queue.Writer.TryWrite(record))
        {
            log.LogError("Usage record {RequestId} could not be queued: the writer has stopped.", record.Id);
            return;
        }

        if (Interlocked.Increment(ref _queued) >= BatchSize) _urgent.TrySetResult();
    }

    /// <summary>Completes once every record queued before the call is in the database.</summary>
    public Task FlushAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(done)) done.SetResult();
        else _urgent.TrySetResult();
        return done.Task;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                var urgent = _urgent;
                if (Volatile.Read(ref _queued) < BatchSize) await Task.WhenAny(Task.Delay(Linger, stoppingToken), urgent.Task);
                _urgent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                await WriteBatchAsync(CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        _queue.Writer.TryComplete();
        while (_queue.Reader.TryPeek(out _)) await WriteBatchAsync(cancellationToken);
    }

    async Task WriteBatchAsync(CancellationToken ct)
    {
        var batch = new List<UsageRecord>();
        var waiting = new List<TaskCompletionSource>();
        while (batch.Count < BatchSize && _queue.Reader.TryRead(out var item))
        {
            if (item is UsageRecord record)
            {
                batch.Add(record);
                Interlocked.Decrement(ref _queued);
            }
            else if (item is TaskCompletionSource flush) waiting.Add(flush);
        }

        for (var attempt = 1; batch.Count > 0; attempt++)
        {
            try
            {
                await store.InsertAsync(batch, ct);
                // Cached totals are dropped before thresholds are looked at, so alerts read what was just stored.
                foreach (var customerId in batch.Where(r => r.CustomerId is not null).Select(r => r.CustomerId!).Distinct())
                {
                    changes.Publish(ChangeKind.Usage, customerId);
                }

                foreach (var record in batch)
                {
                    if (record.CustomerId is not null) thresholds.Touch(record.CustomerId, record.KeyId, record.EndUser);
                }

                break;
            }
            catch (Exception e) when (attempt < 5 && e is not OperationCanceledException)
            {
                log.LogWarning(e, "Writing {Count} usage records failed (attempt {Attempt}); retrying.", batch.Count, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), ct);
            }
            catch (Exception e)
            {
                log.LogError(e, "Writing {Count} usage records failed; they are lost: {Ids}", batch.Count, string.Join(",", batch.Select(r => r.Id)));
                break;
            }
        }

        foreach (var flush in waiting) flush.TrySetResult();
    }
}
