using Microsoft.Extensions.Options;
using Tollgate.Common;

namespace Tollgate.Analytics.Mrr;

/// <summary>
/// Keeps the MRR movements up with the subscription events on every node (<see cref="MrrStore.ProjectAsync"/>), and
/// catches up before a report is made, so a report counts every change committed before it was asked for.
/// </summary>
public sealed class MrrProjector(MrrStore store, IOptions<AnalyticsOptions> options, TimeProvider time, ILogger<MrrProjector> logger) : BackgroundService
{
    const int Batch = 500;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Periodic.RunAsync(options.Value.PollInterval, time, CatchUpAsync, e => logger.LogWarning(e, "Reading subscription events into MRR failed; the next round tries again."),
            stoppingToken, startAtOnce: true);

    /// <summary>
    /// Reads every subscription event not yet read. A failure is logged and the report goes on with the movements as
    /// they are (the next round tries again): a report never fails for want of a catch-up.
    /// </summary>
    public async Task CatchUpAsync(CancellationToken ct)
    {
        try
        {
            while (await store.ProjectAsync(Batch, time.GetUtcNow(), ct) == Batch)
            {
            }
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning(e, "Reading subscription events into MRR failed; the movements are as of the last round that did.");
        }
    }
}
