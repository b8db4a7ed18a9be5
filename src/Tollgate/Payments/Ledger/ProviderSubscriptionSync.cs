using Tollgate.Billing.Runs;
using Tollgate.Common;
using Tollgate.Payments.Providers;
using Tollgate.Storage;

namespace Tollgate.Payments.Ledger;

/// <summary>
/// Keeps merchants of record's own subscriptions in step with Tollgate's, after every invoice run: each provider
/// subscription still running whose Tollgate subscription has ended (cancelled now, at its period's end, or after
/// dunning gave up) is ended at the provider, then recorded as ended. A call that fails is tried again next run;
/// ending one already ended is done (the providers' cancel is safe to repeat).
/// </summary>
public sealed partial class ProviderSubscriptionSync(Database database, PaymentStore store, PaymentProviders providers, TimeProvider time, ILogger<ProviderSubscriptionSync> log)
    : IAfterInvoiceRun
{
    public async Task RunAsync(string? testClock, DateTimeOffset now, Actor actor, CancellationToken ct)
    {
        foreach (var link in await store.OutOfStepAsync(testClock, ct))
        {
            PaymentMode.Enter(link.Mode);
            if (PaymentProviderNames.Parse(link.Provider) is not { } name || providers.Find(name) is not { } provider) continue;
            try
            {
                await provider.CancelSubscriptionAsync(link.ProviderSubscriptionId, ct);
            }
            catch (Exception e) when (e is PaymentProviderException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                LogCancelFailed(log, e, link.ProviderSubscriptionId, link.Provider);
                continue;
            }

            await database.InTransactionAsync(async (connection, tx) =>
            {
                var ended = link with { Status = "canceled", UpdatedAt = time.GetUtcNow() };
                await PaymentStore.SaveLinkAsync(tx, ended);
                return true;
            }, ct);
        }
    }

    [LoggerMessage(EventId = 13004, Level = LogLevel.Warning, Message = "Ending subscription {ProviderSubscriptionId} at {Provider} failed; the next run tries again")]
    static partial void LogCancelFailed(ILogger logger, Exception exception, string providerSubscriptionId, string provider);
}
