using Dapper;
using Tollgate.Billing.Runs;
using Tollgate.Common;
using Tollgate.Payments.Providers;
using Tollgate.Storage;

namespace Tollgate.Payments.Ledger;

/// <summary>
/// Charges open invoices off session, after every invoice run (docs/payments.md, "Collecting invoices"): each invoice
/// with something due, of a customer whose provider charges off session and has its payment method saved, once for
/// its first attempt and once for each retry dunning schedules. A charge is claimed first (<c>charge_attempts</c>, one
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
        public string Name { get; init; } = "";
        public string? Email { get; init; }
    }

    public async Task RunAsync(string? testClock, DateTimeOffset now, Actor actor, CancellationToken ct)
    {
        List<Due> due;
        await using (var connection = await database.OpenAsync(ct))
        {
            due = [.. await connection.QueryAsync<Due>(
                $"""
                SELECT i.id, i.customer_id, i.amount_due, i.currency, i.payment_attempts, a.provider, a.provider_customer_id, a.payment_method, c.name, c.email
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
            if (PaymentProviderNames.Parse(invoice.Provider) is not { } name || providers.Find(name) is not { } provider) continue;
            if (!provider.ChargesOffSession) await SendLinkAsync(provider, invoice, ct);
            else if (invoice.PaymentMethod is not null) await ChargeAsync(provider, invoice, actor, ct);
        }
    }

    /// <summary>The attempt dunning is at: the first charge, then one per retry it scheduled (a failure leaves the count at the charge made).</summary>
    static int AttemptOf(Due invoice) => invoice.PaymentAttempts == 0 ? 0 : invoice.PaymentAttempts - 1;

    /// <summary>Claims the invoice's attempt for this node; false when it was claimed before, here or elsewhere.</summary>
    async Task<bool> ClaimAsync(Due invoice, int attempt, CancellationToken ct) =>
        await database.InTransactionAsync((connection, tx) => connection.ExecuteAsync(
            """
            INSERT INTO charge_attempts (invoice_id, attempt, provider, status, created_at, updated_at) VALUES (@Id, @attempt, @Provider, 'pending', @now, @now)
            ON CONFLICT (invoice_id, attempt) DO NOTHING
            """, new { invoice.Id, attempt, invoice.Provider, now = time.GetUtcNow() }, tx), ct) == 1;

    Task LetGoAsync(Due invoice, int attempt, CancellationToken ct) =>
        database.InTransactionAsync((connection, tx) => connection.ExecuteAsync(
            "DELETE FROM charge_attempts WHERE invoice_id = @Id AND attempt = @attempt AND status = 'pending'", new { invoice.Id, attempt }, tx), ct);

    /// <summary>
    /// A provider that charges nothing off session is sent a payment link per attempt, which it mails to the customer;
    /// the link paid pays the invoice, and the link expired unpaid is the attempt's failed payment (its webhooks).
    /// </summary>
    async Task SendLinkAsync(IPaymentProvider provider, Due invoice, CancellationToken ct)
    {
        var attempt = AttemptOf(invoice);
        if (!await ClaimAsync(invoice, attempt, ct)) return;
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

        await database.InTransactionAsync((connection, tx) => connection.ExecuteAsync(
            "UPDATE charge_attempts SET status = 'sent', provider_payment_id = @ProviderSessionId, updated_at = @now WHERE invoice_id = @Id AND attempt = @attempt",
            new { link.ProviderSessionId, now = time.GetUtcNow(), invoice.Id, attempt }, tx), ct);
    }

    async Task ChargeAsync(IPaymentProvider provider, Due invoice, Actor actor, CancellationToken ct)
    {
        var attempt = AttemptOf(invoice);
        if (!await ClaimAsync(invoice, attempt, ct)) return;

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
