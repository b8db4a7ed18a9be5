using Tollgate.Billing.Runs;
using Tollgate.Common;
using Tollgate.Payments.Providers;
using Tollgate.Storage;

namespace Tollgate.Payments.Ledger;

/// <summary>
/// Keeps merchants of record's own subscriptions in step with Tollgate's, after every invoice run, in two steps around
/// the collection of its invoices (<see cref="InvoiceCollector"/>): before it, a provider subscription paused there
/// whose Tollgate subscription is active again is resumed (so that its invoice can be charged on it); after it, one
/// still running whose Tollgate subscription has ended (now, at its period's end, or after dunning gave up) is ended
/// there, and one whose Tollgate subscription is paused is paused there, each once the subscription has no open
/// invoice with something due (its last invoice is charged on it first). Each is then recorded in its new state,
/// unless the provider's news moved it meanwhile. A call that fails is tried again next run; asking for the state it
/// is in is done.
/// </summary>
public abstract partial class ProviderSubscriptionSync(
    Database database, PaymentStore store, PaymentProviders providers, TimeProvider time, ILogger<ProviderSubscriptionSync> log) : IAfterInvoiceRun
{
    /// <summary>Whether this is the step before collection (resumptions) or after it (ends and pauses).</summary>
    protected abstract bool Resuming { get; }

    public async Task RunAsync(string? testClock, DateTimeOffset now, Actor actor, CancellationToken ct)
    {
        foreach (var (link, wanted) in await store.OutOfStepAsync(testClock, Resuming, ct))
        {
            PaymentMode.Enter(link.Mode);
            if (PaymentProviderNames.Parse(link.Provider) is not { } name || providers.Find(name) is not { } provider) continue;
            try
            {
                if (wanted == "canceled") await provider.CancelSubscriptionAsync(link.ProviderSubscriptionId, ct);
                else await provider.PauseSubscriptionAsync(link.ProviderSubscriptionId, pause: wanted == "paused", ct);
            }
            catch (Exception e) when (e is PaymentProviderException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                LogSyncFailed(log, e, link.ProviderSubscriptionId, link.Provider);
                continue;
            }

            await database.InTransactionAsync((connection, tx) => PaymentStore.MoveLinkAsync(tx, link, wanted, time.GetUtcNow()), ct);
        }
    }

    [LoggerMessage(EventId = 13004, Level = LogLevel.Warning, Message = "Keeping subscription {ProviderSubscriptionId} at {Provider} in step failed; the next run tries again")]
    static partial void LogSyncFailed(ILogger logger, Exception exception, string providerSubscriptionId, string provider);
}

/// <summary>The step before collection: provider subscriptions resumed.</summary>
public sealed class ProviderSubscriptionResumes(Database database, PaymentStore store, PaymentProviders providers, TimeProvider time, ILogger<ProviderSubscriptionSync> log)
    : ProviderSubscriptionSync(database, store, providers, time, log)
{
    protected override bool Resuming => true;
}

/// <summary>The step after collection: provider subscriptions ended and paused.</summary>
public sealed class ProviderSubscriptionEnds(Database database, PaymentStore store, PaymentProviders providers, TimeProvider time, ILogger<ProviderSubscriptionSync> log)
    : ProviderSubscriptionSync(database, store, providers, time, log)
{
    protected override bool Resuming => false;
}
