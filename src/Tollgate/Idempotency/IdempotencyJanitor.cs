using Tollgate.Common;

namespace Tollgate.Idempotency;

/// <summary>Forgets idempotency keys after a day, as Stripe does.</summary>
public sealed partial class IdempotencyJanitor(IdempotencyStore store, TimeProvider time, ILogger<IdempotencyJanitor> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Periodic.RunAsync(TimeSpan.FromHours(1), time, async ct => await store.PurgeAsync(ct), e => LogPurgeFailed(logger, e), stoppingToken, startAtOnce: true);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Could not purge old idempotency keys; will retry")]
    static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
