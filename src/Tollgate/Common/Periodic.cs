namespace Tollgate.Common;

/// <summary>
/// Background work on a timer, for hosted services: each tick runs one round; a round that fails is reported and the
/// next tick tries again; the loop ends quietly when the host stops. The timer is the injected clock's, so tests
/// drive it with the fake one.
/// </summary>
public static class Periodic
{
    public static async Task RunAsync(
        TimeSpan every, TimeProvider time, Func<CancellationToken, Task> round, Action<Exception> failed, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(every, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await round(stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    failed(e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
