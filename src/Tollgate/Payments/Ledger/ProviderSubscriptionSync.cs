using Tollgate.Billing.Runs;
using Tollgate.Common;
using Tollgate.Payments.Providers;
using Tollgate.Storage;

namespace Tollgate.Payments.Ledger;

/// <summary>
/// Keeps merchants of record's own subscriptions in step with Tollgate's, after every invoice run and before its
/// invoices are collected: each provider subscription still running whose Tollgate subscription has ended (cancelled
/// now, at its period's end, or after dunning gave up) is ended at the provider; one whose Tollgate subscription was
/// paused is paused there, and resumed when it resumes (so that the resumption's invoice can be charged on it). Each
/// is then recorded in its new state. A call that fails is tried again next run; asking for the state it is in is done.
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
                if (link.Status == "canceled") await provider.CancelSubscriptionAsync(link.ProviderSubscriptionId, ct);
                else await provider.PauseSubscriptionAsync(link.ProviderSubscriptionId, pause: link.Status == "paused", ct);
            }
            catch (Exception e) when (e is PaymentProviderException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                LogCancelFailed(log, e, link.ProviderSubscriptionId, link.Provider);
                continue;
            }

            await database.InTransactionAsync(async (connection, tx) =>
            {
                await PaymentStore.SaveLinkAsync(tx, link with { UpdatedAt = time.GetUtcNow() }); // the state wanted, now the provider's
                return true;
            }, ct);
        }
    }

    [LoggerMessage(EventId = 13004, Level = LogLevel.Warning, Message = "Keeping subscription {ProviderSubscriptionId} at {Provider} in step failed; the next run tries again")]
    static partial void LogCancelFailed(ILogger logger, Exception exception, string providerSubscriptionId, string provider);
}
