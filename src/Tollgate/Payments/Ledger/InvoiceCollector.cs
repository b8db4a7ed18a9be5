using Dapper;
using Tollgate.Billing.Runs;
using Tollgate.Common;
using Tollgate.Payments.Providers;
using Tollgate.Storage;

namespace Tollgate.Payments.Ledger;

/// <summary>
/// Charges open invoices off session, after every invoice run (docs/payments.md, "Collecting invoices"): each invoice
/// with something due, of a customer whose provider charges off session and has its payment method saved, once for
/// its first attempt and once for each retry dunning schedules. The payment method is the one kept for the invoice's
/// own subscription when its provider keeps one per subscription (a merchant of record's), else the account's. A charge is claimed first (<c>charge_attempts</c>, one
/// row per invoice and attempt, so two nodes never make the same charge), then asked of the provider with a key made
/// of the invoice and the attempt (a charge retried after a crash is the same charge at the provider), then its outcome
/// applied as a webhook's would be. A claim whose call failed before the provider answered is let go for the next run.
/// </summary>
public sealed partial class InvoiceCollector(Database database, PaymentProviders providers, PaymentLedger ledger, TimeProvider time, ILogger<InvoiceCollector> log)
    : IAfterInvoiceRun
{
    const int MostPerRun = 1_000;

    /// <summary>How long an invoice's payment link stays payable before its expiry counts as the attempt's failed payment.</summary>
    public static readonly TimeSpan LinkLifetime = TimeSpan.FromDays(3);

    sealed class Due
    {
        public string Id { get; init; } = "";
        public string CustomerId { get; init; } = "";
        public long AmountDue { get; init; }
        public string Currency { get; init; } = "";
        public int PaymentAttempts { get; init; }
        public string Provider { get; init; } = "";
        public string ProviderCustomerId { get; init; } = "";
        public string? PaymentMethod { get; init; }
        public string Mode { get; init; } = "live";
        public string Name { get; init; } = "";
        public string? Email { get; init; }
    }

    public async Task RunAsync(string? testClock, DateTimeOffset now, Actor actor, CancellationToken ct)
    {
        await ExpireLinksAsync(testClock, now, actor, ct);
        List<Due> due;
        await using (var connection = await database.OpenAsync(ct))
        {
            due = [.. await connection.QueryAsync<Due>(
                $"""
                SELECT i.id, i.customer_id, i.amount_due, i.currency, i.payment_attempts, a.provider, a.provider_customer_id,
                       COALESCE((SELECT l.provider_subscription_id FROM provider_subscriptions l WHERE l.subscription_id = i.subscription_id AND l.provider = a.provider),
                                a.payment_method) AS payment_method,
                       a.mode, c.name, c.email
                FROM invoices i JOIN payment_accounts a ON a.customer_id = i.customer_id JOIN customers c ON c.id = i.customer_id
                WHERE i.status = 'open' AND i.amount_due > 0 AND a.provider_customer_id IS NOT NULL
                  AND i.{Billing.Subscriptions.SubscriptionStore.OnClock(testClock)}
                  AND NOT EXISTS (SELECT 1 FROM charge_attempts c WHERE c.invoice_id = i.id
                                  AND c.attempt = CASE WHEN i.payment_attempts = 0 THEN 0 ELSE i.payment_attempts - 1 END)
                ORDER BY i.id LIMIT {MostPerRun}
                """, new { testClock })];
        }

        foreach (var invoice in due)
        {
            PaymentMode.Enter(invoice.Mode); // the customer's account says which credentials charge it
            if (PaymentProviderNames.Parse(invoice.Provider) is not { } name || providers.Find(name) is not { } provider) continue;
            if (!provider.ChargesOffSession) await SendLinkAsync(provider, invoice, now, ct);
            else if (invoice.PaymentMethod is not null) await ChargeAsync(provider, invoice, now, actor, ct);
        }
    }

    /// <summary>The attempt dunning is at: the first charge, then one per retry it scheduled (a failure leaves the count at the charge made).</summary>
    static int AttemptOf(Due invoice) => invoice.PaymentAttempts == 0 ? 0 : invoice.PaymentAttempts - 1;

    /// <summary>
    /// Claims the invoice's attempt for this node, at the run's time (the customer's billing time, which a link's expiry
    /// is counted on); false when it was claimed before, here or elsewhere.
    /// </summary>
    async Task<bool> ClaimAsync(Due invoice, int attempt, DateTimeOffset now, CancellationToken ct) =>
        await database.InTransactionAsync((connection, tx) => connection.ExecuteAsync(
            """
            INSERT INTO charge_attempts (invoice_id, attempt, provider, status, created_at, updated_at) VALUES (@Id, @attempt, @Provider, 'pending', @now, @now)
            ON CONFLICT (invoice_id, attempt) DO NOTHING
            """, new { invoice.Id, attempt, invoice.Provider, now }, tx), ct) == 1;

    Task LetGoAsync(Due invoice, int attempt, CancellationToken ct) =>
        database.InTransactionAsync((connection, tx) => connection.ExecuteAsync(
            "DELETE FROM charge_attempts WHERE invoice_id = @Id AND attempt = @attempt AND status = 'pending'", new { invoice.Id, attempt }, tx), ct);

    /// <summary>
    /// A provider that charges nothing off session is sent a payment link per attempt, which it mails to the customer;
    /// the link paid pays the invoice, and the link expired unpaid is the attempt's failed payment (its webhooks).
    /// </summary>
    async Task SendLinkAsync(IPaymentProvider provider, Due invoice, DateTimeOffset now, CancellationToken ct)
    {
        var attempt = AttemptOf(invoice);
        if (!await ClaimAsync(invoice, attempt, now, ct)) return;
        HostedCheckout link;
        try
        {
            link = await provider.CreateCheckoutAsync(
                new CheckoutOrder($"{invoice.Id}-{attempt}", invoice.ProviderCustomerId, invoice.CustomerId, invoice.Id, $"Invoice {invoice.Id}", invoice.AmountDue,
                    invoice.Currency, "", "", time.GetUtcNow() + LinkLifetime)
                { Notify = true, CustomerName = invoice.Name, CustomerEmail = invoice.Email },
                $"{invoice.Id}-{attempt}", ct);
        }
        catch (Exception e) when (e is PaymentProviderException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            LogChargeFailed(log, e, invoice.Id, provider.Name.Text());
            await LetGoAsync(invoice, attempt, ct);
            return;
        }

        // The link, for whoever tells the customer (Razorpay mails and texts it itself; LemonSqueezy does not).
        await database.InTransactionAsync(async (connection, tx) =>
        {
            await connection.ExecuteAsync(
                "UPDATE charge_attempts SET status = 'sent', provider_payment_id = @ProviderSessionId, updated_at = @now WHERE invoice_id = @Id AND attempt = @attempt",
                new { link.ProviderSessionId, now, invoice.Id, attempt }, tx);
            await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "invoice.payment_link", invoice.CustomerId,
                new PaymentLink(invoice.Id, provider.Name.Text(), attempt, link.Url, link.ExpiresAt), now);
            return true;
        }, ct);
    }

    /// <summary>The <c>invoice.payment_link</c> event: where the customer pays the invoice's attempt, and until when.</summary>
    public sealed record PaymentLink(string InvoiceId, string Provider, int Attempt, string Url, DateTimeOffset ExpiresAt);

    sealed class SentLink
    {
        public string InvoiceId { get; init; } = "";
        public int Attempt { get; init; }
        public string Provider { get; init; } = "";
        public string? ProviderPaymentId { get; init; }
        public string CustomerId { get; init; } = "";
        public long AmountDue { get; init; }
        public string Currency { get; init; } = "";
        public string? Mode { get; init; }
        public long Current { get; init; }
    }

    /// <summary>
    /// Links sent more than <see cref="LinkLifetime"/> ago and not paid: each is marked expired, and, if its invoice is
    /// still open at that attempt, the attempt's failed payment (dunning's retry sends a new link). A provider that
    /// reports the expiry itself (Razorpay) reported the same payment, so it counts once; one that does not
    /// (LemonSqueezy) is counted here.
    /// </summary>
    async Task ExpireLinksAsync(string? testClock, DateTimeOffset now, Actor actor, CancellationToken ct)
    {
        List<SentLink> expired;
        await using (var connection = await database.OpenAsync(ct))
        {
            expired = [.. await connection.QueryAsync<SentLink>(
                $"""
                SELECT c.invoice_id, c.attempt, c.provider, c.provider_payment_id, i.customer_id, i.amount_due, i.currency, a.mode,
                       CASE WHEN i.status = 'open' AND c.attempt = CASE WHEN i.payment_attempts = 0 THEN 0 ELSE i.payment_attempts - 1 END THEN 1 ELSE 0 END AS current
                FROM charge_attempts c JOIN invoices i ON i.id = c.invoice_id LEFT JOIN payment_accounts a ON a.customer_id = i.customer_id
                WHERE c.status = 'sent' AND c.created_at <= @cutoff AND i.{Billing.Subscriptions.SubscriptionStore.OnClock(testClock)}
                ORDER BY c.invoice_id, c.attempt LIMIT {MostPerRun}
                """, new { cutoff = now - LinkLifetime, testClock })];
        }

        foreach (var link in expired)
        {
            if (PaymentProviderNames.Parse(link.Provider) is not { } name) continue;
            PaymentMode.Enter(link.Mode); // the failed payment is recorded in its customer's mode, as its link was made
            await database.InTransactionAsync(async (connection, tx) =>
            {
                var marked = await connection.ExecuteAsync(
                    "UPDATE charge_attempts SET status = 'expired', updated_at = @now WHERE invoice_id = @InvoiceId AND attempt = @Attempt AND status = 'sent'",
                    new { now, link.InvoiceId, link.Attempt }, tx);
                if (marked == 0 || link.Current != 1 || link.ProviderPaymentId is null) return "unchanged"; // another node's, or news of an attempt gone by
                return await ledger.ApplyAsync(tx, name, new PaymentReported(
                    link.ProviderPaymentId, link.InvoiceId, link.CustomerId, PaymentStatus.Failed, link.AmountDue, link.Currency, null,
                    "payment_link_expired", "The payment link expired unpaid.", now), actor, onCallersClock: true);
            }, ct);
        }
    }

    async Task ChargeAsync(IPaymentProvider provider, Due invoice, DateTimeOffset now, Actor actor, CancellationToken ct)
    {
        var attempt = AttemptOf(invoice);
        if (!await ClaimAsync(invoice, attempt, now, ct)) return;

        ChargeOutcome outcome;
        try
        {
            outcome = await provider.ChargeAsync(
                new OffSessionCharge(invoice.Id, invoice.CustomerId, invoice.ProviderCustomerId, invoice.PaymentMethod!, invoice.AmountDue, invoice.Currency),
                $"tollgate-invoice-{invoice.Id}-{attempt}", ct);
        }
        catch (Exception e) when (e is PaymentProviderException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            LogChargeFailed(log, e, invoice.Id, provider.Name.Text());
            await LetGoAsync(invoice, attempt, ct);
            return;
        }

        await database.InTransactionAsync(async (connection, tx) =>
        {
            await connection.ExecuteAsync(
                "UPDATE charge_attempts SET status = @status, provider_payment_id = @ProviderPaymentId, updated_at = @now WHERE invoice_id = @Id AND attempt = @attempt",
                new { status = EnumText.Snake(outcome.Status), outcome.ProviderPaymentId, now = time.GetUtcNow(), invoice.Id, attempt }, tx);
            if (outcome.ProviderPaymentId is null) return "unmatched";
            return await ledger.ApplyAsync(tx, provider.Name, new PaymentReported(
                outcome.ProviderPaymentId, invoice.Id, invoice.CustomerId, outcome.Status, outcome.Amount ?? invoice.AmountDue, invoice.Currency, null,
                outcome.FailureCode, outcome.FailureMessage, time.GetUtcNow()) { Tax = outcome.Tax }, actor, onCallersClock: true);
        }, ct);
    }

    [LoggerMessage(EventId = 13003, Level = LogLevel.Warning, Message = "Charging invoice {InvoiceId} at {Provider} failed before an answer; the next run tries again")]
    static partial void LogChargeFailed(ILogger logger, Exception exception, string invoiceId, string provider);
}
