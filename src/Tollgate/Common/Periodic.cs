namespace Tollgate.Common;

/// <summary>
/// Background work on a timer, for hosted services: a round, then a pause of <c>every</c>, again and again (the first
/// round after the first pause, or at once with <c>startAtOnce</c>); a round that fails is reported and the next one
/// tries again; the loop ends quietly when the host stops. The pause is the injected clock's, so tests drive it with the
/// fake one; it is one delay at a time rather than a periodic timer, so a clock moved a month ahead runs a round or two,
/// not one for every interval it skipped (a periodic timer on the fake clock fires each of them: millions in a month).
/// </summary>
public static class Periodic
{
    public static async Task RunAsync(
        TimeSpan every, TimeProvider time, Func<CancellationToken, Task> round, Action<Exception> failed, CancellationToken stoppingToken,
        bool startAtOnce = false)
    {
        try
        {
            if (!startAtOnce) await Task.Delay(every, time, stoppingToken);
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await round(stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    failed(e);
                }

                await Task.Delay(every, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
