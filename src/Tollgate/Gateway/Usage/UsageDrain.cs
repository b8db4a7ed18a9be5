using System.Buffers;
using Tollgate.Common;
using Tollgate.Metering;
using Tollgate.Storage;

namespace Tollgate.Gateway.Usage;

/// <summary>
/// Moves usage from the journal into the database: up to <see cref="BatchSize"/> records a transaction, at most every
/// <see cref="Linger"/> (at once when a batch is full), in journal order. Writing is idempotent by request id, so a
/// batch retried, or a segment read again after a restart, counts once. While the database is away it retries
/// forever and the journal grows on disk; nothing is dropped. A segment is deleted once all of it is in the database.
/// </summary>
public sealed partial class UsageDrain(
    UsageJournal journal, UsageStore store, IEnumerable<IUsageObserver> observers, ChangeFeed changes, UsageTotals totals, ILogger<UsageDrain> log) : BackgroundService
{
    public const int BatchSize = 1000;
    public static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(50);
    static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);
    const int ReadBytes = 1 << 20;

    readonly Lock _gate = new();
    readonly List<(JournalPosition Target, TaskCompletionSource Done)> _waiting = [];
    volatile TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    JournalPosition _drained;
    int _sinceDrain;
    long _damaged;
    long _rejected;

    /// <summary>Everything in the journal before this is in the database.</summary>
    public JournalPosition Drained
    {
        get
        {
            lock (_gate) return _drained;
        }
    }

    /// <summary>Journal bytes not yet in the database.</summary>
    public long BacklogBytes => journal.BytesAfter(Drained);

    /// <summary>Lines found damaged on disk, and records the database refused (kept in <c>rejected.jsonl</c>), since start.</summary>
    public (long Damaged, long Rejected) Losses => (Interlocked.Read(ref _damaged), Interlocked.Read(ref _rejected));

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var left = journal.Segments();
        journal.Open();
        _drained = new JournalPosition(left.Count > 0 ? left[0] : journal.End.Segment, 0);
        if (left.Count > 0) LogReplaying(log, left.Count, journal.Directory);
        journal.Appended += OnAppended;
        return base.StartAsync(cancellationToken);
    }

    void OnAppended()
    {
        if (Interlocked.Increment(ref _sinceDrain) >= BatchSize) _wake.TrySetResult();
    }

    /// <summary>Completes once every record appended before the call is in the database.</summary>
    public Task FlushAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var target = journal.End;
        lock (_gate)
        {
            if (_drained >= target && !journal.HasUnwritten) return Task.CompletedTask;
            _waiting.Add((target, done));
        }

        _wake.TrySetResult();
        return done.Task;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var wake = _wake;
                var full = await DrainOnceAsync(stoppingToken);
                if (full) continue;
                await Task.WhenAny(Task.Delay(Linger, stoppingToken), wake.Task);
                if (wake.Task.IsCompleted) _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Writes out what is left while the host allows, then closes the journal; the rest waits there for the next start.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            while (!cancellationToken.IsCancellationRequested && (Drained < journal.End || journal.HasUnwritten))
            {
                await DrainOnceAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }

        journal.Appended -= OnAppended;
        await journal.DisposeAsync();
    }

    /// <summary>Writes one batch; true when there may be more to write at once.</summary>
    async Task<bool> DrainOnceAsync(CancellationToken ct)
    {
        Interlocked.Exchange(ref _sinceDrain, 0);
        if (journal.Fault is not null) journal.TryRecover();

        var batch = new List<UsageRecord>();
        while (batch.Count < BatchSize && journal.TryTakeUnwritten(out var kept)) batch.Add(kept);
        var (next, more) = ReadJournal(batch);
        if (batch.Count > 0) await WriteAsync(batch, ct);

        lock (_gate)
        {
            _drained = next;
            for (var i = _waiting.Count - 1; i >= 0; i--)
            {
                if (_waiting[i].Target > _drained || journal.HasUnwritten) continue;
                _waiting[i].Done.TrySetResult();
                _waiting.RemoveAt(i);
            }
        }

        return more;
    }

    /// <summary>Adds records from the drained position on; returns the position after them and whether more are waiting.</summary>
    (JournalPosition Next, bool More) ReadJournal(List<UsageRecord> batch)
    {
        var at = Drained;
        while (batch.Count < BatchSize)
        {
            var openEnd = journal.OpenEnd(at.Segment); // asked before the length: a closed segment never grows again
            var path = journal.PathOf(at.Segment);
            long length;
            try
            {
                length = openEnd ?? new FileInfo(path).Length;
            }
            catch (IOException)
            {
                length = 0;
            }

            if (at.Offset < length)
            {
                var (read, torn) = ReadSegment(path, at.Offset, length, sealedSegment: openEnd is null, batch);
                if (torn) LogTorn(log, path, length - at.Offset - read);
                at = at with { Offset = torn ? length : at.Offset + read };
                if (read == 0 && !torn) return (at, false);
                continue;
            }

            if (openEnd is not null) return (at, false);

            // A closed segment read to its end: once its records are stored it can go; they are stored before the
            // position moves past it, and a restart before that reads the segment again (idempotently).
            if (batch.Count > 0) return (at, true);
            TryDelete(path);
            var following = journal.Segments().FirstOrDefault(s => s > at.Segment, journal.End.Segment);
            at = new JournalPosition(following, 0);
        }

        return (at, true);
    }

    (int Read, bool Torn) ReadSegment(string path, long offset, long length, bool sealedSegment, List<UsageRecord> batch)
    {
        var size = (int)Math.Min(length - offset, ReadBytes);
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var got = RandomAccess.Read(Reader(path), buffer.AsSpan(0, size), offset);

            var damaged = 0;
            var read = JournalLines.Read(buffer.AsSpan(0, got), BatchSize - batch.Count, batch, ref damaged);
            if (damaged > 0)
            {
                Interlocked.Add(ref _damaged, damaged);
                LogDamaged(log, damaged, path);
            }

            // Nothing whole in a full window means one line longer than the window: read it with a larger one.
            if (read == 0 && got == size && size == ReadBytes && length - offset > size) return ReadLong(path, offset, length, sealedSegment, batch);

            // The end of a closed segment without its newline is a line a crash cut short.
            var torn = read == 0 && sealedSegment && offset + got == length;
            return (read, torn);
        }
        catch (FileNotFoundException)
        {
            return (0, true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    (int Read, bool Torn) ReadLong(string path, long offset, long length, bool sealedSegment, List<UsageRecord> batch)
    {
        var bytes = new byte[(int)Math.Min(length - offset, 256L * 1024 * 1024)];
        RandomAccess.Read(Reader(path), bytes, offset);

        var damaged = 0;
        var read = JournalLines.Read(bytes, 1, batch, ref damaged);
        Interlocked.Add(ref _damaged, damaged);
        return (read, read == 0 && sealedSegment);
    }

    /// <summary>The segment being drained, opened once for all its batches (the drain reads one segment at a time, alone).</summary>
    Microsoft.Win32.SafeHandles.SafeFileHandle Reader(string path)
    {
        if (_reader is not null && _readerPath == path) return _reader;
        CloseReader();
        _reader = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        _readerPath = path;
        return _reader;
    }

    void CloseReader()
    {
        _reader?.Dispose();
        _reader = null;
        _readerPath = null;
    }

    Microsoft.Win32.SafeHandles.SafeFileHandle? _reader;
    string? _readerPath;

    public override void Dispose()
    {
        CloseReader();
        base.Dispose();
    }

    void TryDelete(string path)
    {
        if (_readerPath == path) CloseReader();
        try
        {
            File.Delete(path);
        }
        catch (IOException e)
        {
            LogDeleteFailed(log, e, path);
        }
    }

    /// <summary>
    /// Stores the batch, retrying until it is stored; a record the database refuses is set aside, never retried forever.
    /// What was new is added to this node's usage totals; after a failed attempt, which may have committed, it is not
    /// known exactly, so those customers' totals are dropped instead.
    /// </summary>
    async Task WriteAsync(List<UsageRecord> batch, CancellationToken ct)
    {
        var customers = batch.Where(r => r.CustomerId is not null).Select(r => r.CustomerId!).Distinct().ToList();
        var storing = totals.BeginStore(customers);
        var inserted = new HashSet<string>(StringComparer.Ordinal);
        var certain = true;
        try
        {
            var backoff = TimeSpan.FromMilliseconds(100);
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    inserted.UnionWith(await store.InsertAsync(batch, CancellationToken.None));
                    break;
                }
                catch (Exception e) when (DbErrors.IsRefusedData(e))
                {
                    certain &= await WriteOneByOneAsync(batch, inserted, ct);
                    break;
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    certain = false;
                    LogRetrying(log, e, batch.Count, attempt);
                    await Task.Delay(backoff, ct);
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
                }
            }
        }
        finally
        {
            if (certain) totals.Stored(storing, [.. batch.Where(r => inserted.Contains(r.Id) && GatewayEvents.IsEvent(r)).Select(GatewayEvents.Stored)]);
            else totals.Unknown(storing);
        }

        // Other nodes drop their cached totals; the thresholds look at what was just stored.
        foreach (var customerId in customers) changes.PublishToOthers(ChangeKind.Usage, customerId);
        foreach (var record in batch)
        {
            if (record.CustomerId is null) continue;
            foreach (var observer in observers) observer.Stored(record.CustomerId, record.KeyId, record.EndUser);
        }
    }

    /// <summary>Stores the records one at a time, adding the new ones' ids; false if a failed attempt left what was stored unknown.</summary>
    async Task<bool> WriteOneByOneAsync(List<UsageRecord> batch, HashSet<string> inserted, CancellationToken ct)
    {
        var certain = true;
        foreach (var record in batch)
        {
            while (true)
            {
                try
                {
                    inserted.UnionWith(await store.InsertAsync([record], CancellationToken.None));
                    break;
                }
                catch (Exception e) when (DbErrors.IsRefusedData(e))
                {
                    SetAside(record, e);
                    break;
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    certain = false;
                    LogRetrying(log, e, 1, 0);
                    await Task.Delay(MaxBackoff, ct);
                }
            }
        }

        return certain;
    }

    void SetAside(UsageRecord record, Exception e)
    {
        Interlocked.Increment(ref _rejected);
        LogRejected(log, e, record.Id);
        var line = UsageJournalFormat.Line(record).ToArray();
        using var file = new FileStream(Path.Combine(journal.Directory, "rejected.jsonl"), FileMode.Append, FileAccess.Write, FileShare.Read);
        file.Write(line);
        file.Flush(flushToDisk: true);
    }

    [LoggerMessage(EventId = 4110, Level = LogLevel.Information, Message = "Replaying {Count} usage journal segments from {Directory}.")]
    static partial void LogReplaying(ILogger logger, int count, string directory);

    [LoggerMessage(EventId = 4111, Level = LogLevel.Warning, Message = "Writing {Count} usage records to the database failed (attempt {Attempt}); they stay in the journal and are retried.")]
    static partial void LogRetrying(ILogger logger, Exception error, int count, int attempt);

    [LoggerMessage(EventId = 4112, Level = LogLevel.Warning, Message = "The usage journal segment {Path} ends in {Bytes} bytes of a record cut short by a crash; they are passed over.")]
    static partial void LogTorn(ILogger logger, string path, long bytes);

    [LoggerMessage(EventId = 4113, Level = LogLevel.Error, Message = "{Count} damaged lines in the usage journal segment {Path} were passed over.")]
    static partial void LogDamaged(ILogger logger, int count, string path);

    [LoggerMessage(EventId = 4114, Level = LogLevel.Critical, Message = "The database refused the usage record {RequestId}; it is kept in rejected.jsonl in the journal folder.")]
    static partial void LogRejected(ILogger logger, Exception error, string requestId);

    [LoggerMessage(EventId = 4115, Level = LogLevel.Warning, Message = "The drained usage journal segment {Path} could not be deleted.")]
    static partial void LogDeleteFailed(ILogger logger, Exception error, string path);
}
