using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Metering;

/// <summary>
/// Makes events durable before their sender hears back, without a transaction per request: concurrent appends are
/// gathered and committed together (group commit), up to <see cref="MaxGroup"/> events a transaction, and each caller
/// is answered when the transaction holding its events has committed. A failed commit fails every caller in it, and
/// nothing of it is stored, so a retry is always safe.
/// </summary>
/// <remarks>
/// SQLite has one writer, so one group commits at a time. On PostgreSQL an insert runs on one backend and each commit
/// waits for the disk, so several groups (<see cref="MeteringOptions.PostgresWriters"/>, 3) commit side by side on
/// their own connections; each group is written in key order, so two groups holding the same
/// events (a retry racing its original) take their locks in one order and cannot deadlock. The second to commit finds
/// the first's rows and reports them as duplicates, never as new.
/// </remarks>
public sealed partial class EventLog(EventStore store, Database database, IOptions<MeteringOptions> options, ILogger<EventLog> log) : BackgroundService
{
    public const int MaxGroup = 10_000;

    readonly Channel<Append> _queue = Channel.CreateUnbounded<Append>();

    sealed record Append(IReadOnlyList<UsageEvent> Events, TaskCompletionSource<IReadOnlySet<string>> Done);

    int Writers => database.Kind == DatabaseKind.Postgres ? options.Value.PostgresWriters : 1;

    /// <summary>Completes once the events are committed, with the ids of those that were new; a duplicate of an earlier event is left out.</summary>
    public Task<IReadOnlySet<string>> AppendAsync(IReadOnlyList<UsageEvent> events, CancellationToken ct)
    {
        if (events.Count == 0) return Task.FromResult<IReadOnlySet<string>>(new HashSet<string>());
        var append = new Append(events, new TaskCompletionSource<IReadOnlySet<string>>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(append)) throw new InvalidOperationException("The event log has stopped.");
        // The caller may stop waiting; its events are still written (or not) as one unit with the rest of the group.
        return append.Done.Task.WaitAsync(ct);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => WriteAsync(stoppingToken)));

    async Task WriteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken)) await CommitGroupAsync();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
        while (_queue.Reader.TryPeek(out _)) await CommitGroupAsync();
    }

    async Task CommitGroupAsync()
    {
        var group = new List<Append>();
        var events = new List<UsageEvent>();
        while (events.Count < MaxGroup && _queue.Reader.TryRead(out var append))
        {
            group.Add(append);
            events.AddRange(append.Events);
        }

        if (group.Count == 0) return; // another writer took them
        try
        {
            if (Writers > 1) events.Sort(ByKey);
            var inserted = await store.AppendAsync(events, CancellationToken.None);
            foreach (var append in group) append.Done.TrySetResult(inserted);
        }
        catch (Exception e)
        {
            LogCommitFailed(log, e, events.Count);
            var unavailable = new UnavailableException("events_unavailable", "The usage events could not be stored; none of them counted. Retry the request.", e);
            foreach (var append in group) append.Done.TrySetException(unavailable);
        }
    }

    static int ByKey(UsageEvent a, UsageEvent b)
    {
        var key = string.CompareOrdinal(a.IdempotencyKey, b.IdempotencyKey); // the unique index's order
        return key != 0 ? key : string.CompareOrdinal(a.CustomerId, b.CustomerId);
    }

    [LoggerMessage(EventId = 9001, Level = LogLevel.Error,
        Message = "Committing {Count} usage events failed; their senders are told to retry.")]
    static partial void LogCommitFailed(ILogger logger, Exception exception, int count);
}
