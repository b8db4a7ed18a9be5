using Microsoft.Extensions.Options;
using Tollgate.Common;

namespace Tollgate.Billing.Runs;

/// <summary>
/// Runs the invoice run every <c>Billing:RunEvery</c> (an hour by default) on every node: runs on several nodes at
/// once, or overlapping an operator's <c>POST /api/v1/invoice-runs</c>, bill each period once all the same.
/// </summary>
public sealed partial class BillingScheduler(InvoiceRunner runner, IOptions<BillingOptions> options, TimeProvider time, ILogger<BillingScheduler> log) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        options.Value.RunEvery == TimeSpan.Zero
            ? Task.CompletedTask
            : Periodic.RunAsync(options.Value.RunEvery, time, ct => runner.RunAsync(Actor.System, ct), e => LogRunFailed(log, e), stoppingToken);

    [LoggerMessage(EventId = 12003, Level = LogLevel.Error, Message = "The scheduled invoice run failed; the next one tries again.")]
    static partial void LogRunFailed(ILogger logger, Exception exception);
}
