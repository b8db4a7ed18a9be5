using Dapper;
using Tollgate.Billing.Runs;
using Tollgate.Common;
using Tollgate.Payments.Providers;
using Tollgate.Storage;

namespace Tollgate.Payments.Checkout;

/// <summary>
/// Checkouts left open past their <c>expires_at</c> are expired after every invoice run, whatever the provider: Stripe
/// and Razorpay say so by webhook (and then this finds nothing left), the test provider, Paddle and LemonSqueezy do not.
/// The time is the providers' (real time, not a test clock's): it is theirs that stops the page taking a payment.
/// </summary>
public sealed class CheckoutExpiry(Database database, CheckoutService checkouts, TimeProvider time) : IAfterInvoiceRun
{
    const int MostPerRun = 1_000;

    sealed record Expired(string Provider, string ProviderSessionId);

    public async Task RunAsync(string? testClock, DateTimeOffset now, Actor actor, CancellationToken ct)
    {
        var at = time.GetUtcNow();
        List<Expired> expired;
        await using (var connection = await database.OpenAsync(ct))
        {
            expired = [.. await connection.QueryAsync<Expired>(
                $"""
                SELECT k.provider, k.provider_session_id FROM checkout_sessions k JOIN customers c ON c.id = k.customer_id
                WHERE k.status = 'open' AND k.provider_session_id IS NOT NULL AND k.expires_at <= @at AND c.{Billing.Subscriptions.SubscriptionStore.OnClock(testClock)}
                ORDER BY k.expires_at LIMIT {MostPerRun}
                """, new { at, testClock })];
        }

        foreach (var checkout in expired)
        {
            if (PaymentProviderNames.Parse(checkout.Provider) is not { } name) continue;
            await database.InTransactionAsync((connection, tx) => checkouts.ExpireInAsync(tx, name, new CheckoutExpired(checkout.ProviderSessionId, at), actor), ct);
        }
    }
}
