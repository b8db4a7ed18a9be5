using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Options;
using Microsoft.Win32.SafeHandles;
using Tollgate.Storage;

namespace Tollgate.Gateway.Usage;

/// <summary>
/// The node's append-only file of gateway usage. Every request's record is written to it (one <c>write</c> to the
/// operating system, which outlives a killed process) before its answer completes, so usage never waits on the
/// database and is never only in memory; <see cref="UsageDrain"/> moves it into the database in batches. The journal
/// is a series of segment files, <c>usage-000000000001.jsonl</c> and on; a start always begins a new segment, so a
/// line torn by a crash is only ever at the end of a closed one. <c>fsync</c> runs every
/// <see cref="UsageJournalOptions.FsyncInterval"/>, or before each answer with <see cref="UsageJournalOptions.FsyncBeforeAnswer"/>.
/// </summary>
public sealed partial class UsageJournal(IOptions<UsageJournalOptions> options, Database database, ILogger<UsageJournal> log) : IAsyncDisposable
{
    const string Prefix = "usage-";
    const string Suffix = ".jsonl";

    readonly UsageJournalOptions _options = options.Value;
    readonly Lock _gate = new();
    readonly ConcurrentQueue<UsageRecord> _unwritten = new();
    readonly CancellationTokenSource _stopping = new();
    FileStream? _lock;
    SafeFileHandle? _file;
    long _segment;
    long _end;

    /// <summary>Lengths of the segments before the one being written (from disk at start, then as each is closed), so the backlog is known without listing the folder.</summary>
    readonly SortedDictionary<long, long> _closed = new();
    bool _dirty;
    TaskCompletionSource _nextSync = new(TaskCreationOptions.RunContinuationsAsynchronously);
    Task _syncLoop = Task.CompletedTask;
    readonly SemaphoreSlim _syncWanted = new(0);
    int _disposed;

    public string Directory { get; } = Path.GetFullPath(string.IsNullOrWhiteSpace(options.Value.Directory)
        ? Path.Combine(DataDirectory.For(database.Target), "journal")
        : options.Value.Directory);

    /// <summary>Raised after each append, for the drain to wake up.</summary>
    public event Action? Appended;

    /// <summary>Why records cannot be written to the disk now (it is full or gone), or null when they can.</summary>
    public Exception? Fault { get; private set; }

    /// <summary>Whether the journal takes records: requests that cannot be recorded durably are not served.</summary>
    public bool IsWritable => Fault is null && _file is not null;

    /// <summary>Where the next record will go; everything before it has been appended.</summary>
    public JournalPosition End
    {
        get
        {
            lock (_gate) return new(_segment, _end);
        }
    }

    /// <summary>Locks the folder for this process and begins a new segment after any left by an earlier run.</summary>
    public void Open()
    {
        System.IO.Directory.CreateDirectory(Directory);
        try
        {
            _lock = new FileStream(Path.Combine(Directory, "journal.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new InvalidOperationException(
                $"The usage journal {Directory} is in use by another Tollgate process. Give each node its own Gateway:Journal:Directory.", e);
        }

        var segments = Segments();
        lock (_gate)
        {
            foreach (var segment in segments)
            {
                try
                {
                    _closed[segment] = new FileInfo(PathOf(segment)).Length;
                }
                catch (IOException)
                {
                }
            }

            OpenSegment(segments.Count == 0 ? 1 : segments[^1] + 1);
        }
        _syncLoop = Task.Factory.StartNew(() => SyncLoop(_stopping.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>
    /// Appends the record. It survives a killed process once this returns; with <see cref="UsageJournalOptions.FsyncBeforeAnswer"/>
    /// the task completes once it also survives a power cut. If the disk refuses it, the record is kept in memory for
    /// the drain and the journal stops taking new requests until the disk takes writes again.
    /// </summary>
    public ValueTask AppendAsync(UsageRecord record)
    {
        var line = UsageJournalFormat.Line(record);
        Task synced;
        (SafeFileHandle File, TaskCompletionSource Synced)? closed = null;
        lock (_gate)
        {
            if (_file is null || Fault is not null)
            {
                _unwritten.Enqueue(record);
                return default;
            }

            try
            {
                RandomAccess.Write(_file, line, _end);
            }
            catch (IOException e)
            {
                SetFault(e);
                _unwritten.Enqueue(record);
                return default;
            }

            _end += line.Length;
            _dirty = true;
            synced = _nextSync.Task;
            if (_end >= _options.SegmentBytes) closed = Roll();
        }

        if (closed is { } segment) Close(segment.File, segment.Synced);
        Appended?.Invoke();
        if (!_options.FsyncBeforeAnswer) return default;
        _syncWanted.Release();
        return new ValueTask(synced);
    }

    /// <summary>Records the disk refused, to be written to the database from memory.</summary>
    public bool TryTakeUnwritten(out UsageRecord record) => _unwritten.TryDequeue(out record!);

    public bool HasUnwritten => !_unwritten.IsEmpty;

    /// <summary>The segments on disk, oldest first.</summary>
    public List<long> Segments()
    {
        var numbers = new List<long>();
        if (!System.IO.Directory.Exists(Directory)) return numbers;
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, Prefix + "*" + Suffix))
        {
            var name = Path.GetFileName(path);
            if (long.TryParse(name.AsSpan(Prefix.Length, name.Length - Prefix.Length - Suffix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                numbers.Add(n);
            }
        }

        numbers.Sort();
        return numbers;
    }

    public string PathOf(long segment) => Path.Combine(Directory, $"{Prefix}{segment:D12}{Suffix}");

    /// <summary>The end of <paramref name="segment"/> as far as it is written, or null when it is closed (read it to its end).</summary>
    public long? OpenEnd(long segment)
    {
        lock (_gate) return segment == _segment && _file is not null ? _end : null;
    }

    /// <summary>Bytes in the journal from <paramref name="from"/> on: usage not yet in the database. From memory, not the disk.</summary>
    public long BytesAfter(JournalPosition from)
    {
        lock (_gate)
        {
            long total = 0;
            foreach (var segment in _closed.Keys.Where(s => s < from.Segment).ToList()) _closed.Remove(segment); // drained, and deleted
            foreach (var (segment, length) in _closed) total += segment == from.Segment ? Math.Max(0, length - from.Offset) : length;
            if (_file is not null && _segment >= from.Segment) total += _segment == from.Segment ? Math.Max(0, _end - from.Offset) : _end;
            return total;
        }
    }

    /// <summary>After a fault, tries a fresh segment; true when the disk takes writes again.</summary>
    public bool TryRecover()
    {
        lock (_gate)
        {
            if (Fault is null) return true;
            try
            {
                OpenSegment(_segment + 1);
                Fault = null;
                LogRecovered(log, Directory);
                return true;
            }
            catch (IOException)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// Starts the next segment; returns the one it closed, to be forced to the disk outside the lock, with the sync its
    /// appends since the last one wait for (the next sync is the new segment's).
    /// </summary>
    (SafeFileHandle File, TaskCompletionSource Synced)? Roll()
    {
        var closing = _file!;
        try
        {
            OpenSegment(_segment + 1, dispose: false);
        }
        catch (IOException e)
        {
            SetFault(e);
            return null;
        }

        var synced = _nextSync;
        _nextSync = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _dirty = false;
        return (closing, synced);
    }

    /// <summary>
    /// Forces a closed segment to the disk, closes it, and completes the appends waiting for that. Appends go on
    /// meanwhile, into the next segment: forcing 8 MB to the disk takes tens of milliseconds, which no request should
    /// wait for (a sync running at the same time may find the handle closed, which it allows).
    /// </summary>
    void Close(SafeFileHandle closed, TaskCompletionSource synced)
    {
        try
        {
            RandomAccess.FlushToDisk(closed);
        }
        catch (IOException e)
        {
            lock (_gate) SetFault(e);
        }
        finally
        {
            closed.Dispose();
            synced.TrySetResult();
        }
    }

    void OpenSegment(long segment, bool dispose = true)
    {
        var file = File.OpenHandle(PathOf(segment), FileMode.CreateNew, FileAccess.Write, FileShare.Read | FileShare.Delete);
        if (_file is not null) _closed[_segment] = _end;
        if (dispose) _file?.Dispose();
        _file = file;
        _segment = segment;
        _end = 0;
    }

    void SetFault(IOException e)
    {
        Fault = e;
        LogFault(log, e, Directory);
    }

    /// <summary>
    /// Forces the journal to the disk every <see cref="UsageJournalOptions.FsyncInterval"/> (or whenever an append waits
    /// for it), on a thread of its own: an <c>fsync</c> blocks its thread for as long as the disk takes, and on the
    /// thread pool that starved request handling on a small machine, stalling every request in flight together.
    /// </summary>
    void SyncLoop(CancellationToken ct)
    {
        try
        {
            while (true)
            {
                if (_options.FsyncBeforeAnswer) _syncWanted.Wait(ct);
                else if (ct.WaitHandle.WaitOne(_options.FsyncInterval)) return;
                Sync();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>Forces what has been appended to the disk, and completes every append waiting for that.</summary>
    public void Sync()
    {
        SafeFileHandle? file;
        TaskCompletionSource done;
        lock (_gate)
        {
            done = _nextSync;
            if (!_dirty)
            {
                done.TrySetResult();
                return;
            }

            _nextSync = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _dirty = false;
            file = _file;
        }

        try
        {
            if (file is not null) RandomAccess.FlushToDisk(file);
        }
        catch (ObjectDisposedException)
        {
            // The segment was closed meanwhile, and closing it forced it to the disk.
        }
        catch (IOException e)
        {
            lock (_gate) SetFault(e);
        }

        done.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _stopping.CancelAsync();
        await _syncLoop;
        Sync();
        lock (_gate)
        {
            _file?.Dispose();
            _file = null;
        }

        _lock?.Dispose();
        _stopping.Dispose();
        _syncWanted.Dispose();
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Critical,
        Message = "The usage journal in {Directory} cannot be written; gateway requests are refused until it can.")]
    static partial void LogFault(ILogger logger, Exception error, string directory);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "The usage journal in {Directory} takes writes again.")]
    static partial void LogRecovered(ILogger logger, string directory);
}
