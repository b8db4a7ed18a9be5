using Dapper;
using Tollgate.Billing.Runs;
using Tollgate.Common;
using Tollgate.Payments.Providers;
using Tollgate.Storage;

namespace Tollgate.Payments.Checkout;

/// <summary>
/// Checkouts left open past their <c>expires_at</c> are expired after every invoice run, whatever the provider: Stripe
/// and Razorpay say so by webhook (and then this finds nothing left), the test provider, Paddle and LemonSqueezy do not.
/// The time is the providers' (real time, not a test clock's). A provider whose checkouts never expire by themselves
/// (Paddle's transactions) is asked to close it first, so that its page takes no payment after; one paid all the same
/// is recorded and reported (<see cref="CheckoutService.CompleteInAsync"/>).
/// </summary>
public sealed partial class CheckoutExpiry(Database database, CheckoutService checkouts, PaymentProviders providers, TimeProvider time, ILogger<CheckoutExpiry> log) : IAfterInvoiceRun
{
    const int MostPerRun = 1_000;

    sealed record Expired(string Provider, string ProviderSessionId, string? Mode);

    public async Task RunAsync(string? testClock, DateTimeOffset now, Actor actor, CancellationToken ct)
    {
        var at = time.GetUtcNow();
        List<Expired> expired;
        await using (var connection = await database.OpenAsync(ct))
        {
            expired = [.. await connection.QueryAsync<Expired>(
                $"""
                SELECT k.provider, k.provider_session_id, a.mode FROM checkout_sessions k JOIN customers c ON c.id = k.customer_id
                LEFT JOIN payment_accounts a ON a.customer_id = k.customer_id
                WHERE k.status = 'open' AND k.provider_session_id IS NOT NULL AND k.expires_at <= @at AND c.{Billing.Subscriptions.SubscriptionStore.OnClock(testClock)}
                ORDER BY k.expires_at LIMIT {MostPerRun}
                """, new { at, testClock })];
        }

        foreach (var checkout in expired)
        {
            if (PaymentProviderNames.Parse(checkout.Provider) is not { } name) continue;
            PaymentMode.Enter(checkout.Mode);
            try
            {
                if (providers.Find(name) is { } provider) await provider.CloseCheckoutAsync(checkout.ProviderSessionId, ct);
            }
            catch (Exception e) when (e is PaymentProviderException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                LogCloseFailed(log, e, checkout.ProviderSessionId, checkout.Provider);
                continue; // open at the provider still: expired when it can be closed there
            }

            await database.InTransactionAsync((connection, tx) => checkouts.ExpireInAsync(tx, name, new CheckoutExpired(checkout.ProviderSessionId, at), actor), ct);
        }
    }

    [LoggerMessage(EventId = 13005, Level = LogLevel.Warning, Message = "Closing expired checkout {ProviderSessionId} at {Provider} failed; the next run tries again")]
    static partial void LogCloseFailed(ILogger logger, Exception exception, string providerSessionId, string provider);
}
