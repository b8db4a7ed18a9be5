namespace Tollgate.Idempotency;

/// <summary>Forgets idempotency keys after a day, as Stripe does.</summary>
public sealed partial class IdempotencyJanitor(IdempotencyStore store, TimeProvider time, ILogger<IdempotencyJanitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), time);
        try
        {
            do
            {
                try
                {
                    await store.PurgeAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogPurgeFailed(logger, e);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Could not purge old idempotency keys; will retry")]
    static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
