using System.Collections.Concurrent;
using Tollgate.Common;

namespace Tollgate.ApiKeys;

/// <summary>
/// Remembers when each key was last used and writes it out every few seconds in one batch,
/// so a request never waits on an UPDATE.
/// </summary>
public sealed partial class KeyUsageRecorder(ApiKeyStore store, TimeProvider time, ILogger<KeyUsageRecorder> logger) : BackgroundService
{
    static readonly TimeSpan FlushEvery = TimeSpan.FromSeconds(5);
    ConcurrentDictionary<string, DateTimeOffset> _pending = new(StringComparer.Ordinal);

    public void Used(string keyId) => _pending[keyId] = time.GetUtcNow();

    public async Task FlushAsync(CancellationToken ct)
    {
        var batch = Interlocked.Exchange(ref _pending, new ConcurrentDictionary<string, DateTimeOffset>(StringComparer.Ordinal));
        try
        {
            await store.TouchAsync(batch, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFlushFailed(logger, e, batch.Count);
            foreach (var (id, at) in batch) _pending.TryAdd(id, at);
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Periodic.RunAsync(FlushEvery, time, FlushAsync, e => LogRoundFailed(logger, e), stoppingToken);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(CancellationToken.None);
    }

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Recording last use of keys failed; will retry")]
    static partial void LogRoundFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Could not record last use of {Count} keys; will retry")]
    static partial void LogFlushFailed(ILogger logger, Exception exception, int count);
}
