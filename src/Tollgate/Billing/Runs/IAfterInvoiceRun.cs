namespace Tollgate.Billing.Runs;

/// <summary>
/// What runs after every invoice run, on the same clock and at the same time: collecting the open invoices it made
/// or dunning retried (payments, which billing does not know). A failure is logged by the runner and left for the next run.
/// </summary>
public interface IAfterInvoiceRun
{
    Task RunAsync(string? testClock, DateTimeOffset now, Common.Actor actor, CancellationToken ct);
}
