using System.Data.Common;
using Tollgate.Audit;
using Tollgate.Billing.Clocks;
using Tollgate.Billing.CreditNotes;
using Tollgate.Billing.Dunning;
using Tollgate.Billing.Invoices;
using Tollgate.Common;
using Tollgate.Payments.Providers;
using Tollgate.Storage;

namespace Tollgate.Payments.Ledger;

/// <summary>
/// Applies what providers report of payments and refunds, in the caller's transaction (the one that records the
/// webhook's event id, or the outcome of a charge Tollgate made), so that each piece of news takes effect once.
/// A payment only moves forward: <c>succeeded</c> is final, and older news (by the provider object's own time) never
/// undoes newer. A payment that succeeds pays its invoice (dunning ends; an incomplete or past-due subscription is
/// active); one that fails, the first time, is the invoice's failed payment (past due, retries scheduled). A refund
/// that succeeds makes a credit note of what was paid back.
/// </summary>
public sealed class PaymentLedger(
    PaymentStore store, InvoiceStore invoices, DunningService dunning, CreditNoteStore creditNotes, Billing.Subscriptions.SubscriptionStore subscriptions, AuditLog audit,
    BillingClock clock, TimeProvider time)
{
    /// <summary>
    /// Reads ahead, in one round trip for all of them, the payments that a batch of providers' news will look up
    /// (<see cref="ReadAhead{TKey, TValue}"/>), so that applying each costs PostgreSQL one round trip less. Until disposed.
    /// </summary>
    public async Task<IDisposable> ReadAheadAsync(DbTransaction tx, IReadOnlyList<(PaymentProviderName Provider, PaymentEffect News)> news) =>
        await store.ReadAheadAsync(tx, [.. news.Select(n => n.News switch
        {
            PaymentReported p => (n.Provider.Text(), p.ProviderPaymentId),
            RefundReported r => (n.Provider.Text(), r.ProviderPaymentId),
            _ => ((string, string)?)null,
        }).OfType<(string, string)>()]);

    /// <summary>
    /// Applies a payment's state. Returns what it did, for the event's record: <c>applied</c>, <c>unchanged</c> or
    /// <c>unmatched</c>. It acts at the customer's billing time, unless <paramref name="onCallersClock"/>: an invoice
    /// run entered the time it runs at, which a test clock's stored time reaches only when the run is done.
    /// </summary>
    public async Task<string> ApplyAsync(DbTransaction tx, PaymentProviderName provider, PaymentReported news, Actor actor, bool onCallersClock = false)
    {
        var existing = await store.FindPaymentAsync(tx, provider.Text(), news.ProviderPaymentId);
        var invoiceId = existing?.InvoiceId ?? news.InvoiceId;
        var invoice = invoiceId is null ? null : await invoices.FindAsync(tx, invoiceId, forUpdate: true);
        var customerId = existing?.CustomerId ?? invoice?.CustomerId ?? news.CustomerId;
        if (customerId is null || (invoice is not null && invoice.CustomerId != customerId)) return "unmatched";
        if (!onCallersClock) BillingClock.Enter(await BillingClock.OfCustomerAsync(tx, customerId));
        var now = clock.Now;

        if (existing is not null && !Moves(existing, news)) return "unchanged";
        var payment = existing is null
            ? new Payment
            {
                Id = Ids.New(PaymentStore.PaymentPrefix, time), CustomerId = customerId, InvoiceId = invoice?.Id, Provider = provider.Text(),
                ProviderPaymentId = news.ProviderPaymentId, Amount = news.Amount, Currency = news.Currency, Tax = news.Tax, Mode = PaymentMode.Text, Status = news.Status,
                FailureCode = news.FailureCode, FailureMessage = news.FailureMessage, ProviderTime = news.At, CreatedAt = now, UpdatedAt = now,
            }
            : existing with
            {
                InvoiceId = existing.InvoiceId ?? invoice?.Id, Amount = news.Amount, Tax = news.Tax, Status = news.Status, FailureCode = news.FailureCode,
                FailureMessage = news.FailureMessage, ProviderTime = news.At > existing.ProviderTime ? news.At : existing.ProviderTime, UpdatedAt = now,
            };
        if (existing is null) await PaymentStore.InsertAsync(tx, payment);
        else await PaymentStore.UpdateAsync(tx, payment);
        await audit.RecordAsync(tx, actor, $"payment.{EnumText.Snake(payment.Status)}", "payment", payment.Id, existing, payment, customerId);
        await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), $"payment.{EnumText.Snake(payment.Status)}", customerId, payment, now);

        if (news.PaymentMethod is { } method) await SaveMethodAsync(tx, provider, customerId, method, now);
        if (invoice is null) return "applied";
        if (payment.Status == PaymentStatus.Succeeded && invoice.Status is InvoiceStatus.Open or InvoiceStatus.Uncollectible
            && string.Equals(payment.Currency, invoice.Currency, StringComparison.OrdinalIgnoreCase) && payment.Amount >= invoice.AmountDue)
        {
            await dunning.PaidInAsync(tx, invoice, actor);
        }
        else if (payment.Status == PaymentStatus.Failed && existing?.Status != PaymentStatus.Failed && invoice.Status == InvoiceStatus.Open)
        {
            await dunning.PaymentFailedInAsync(tx, invoice, actor);
        }

        return "applied";
    }

    /// <summary>Whether news moves a recorded payment: never from <c>succeeded</c>; to <c>succeeded</c> always; else only by newer news, to another state.</summary>
    static bool Moves(Payment recorded, PaymentReported news) =>
        recorded.Status != PaymentStatus.Succeeded
        && (news.Status == PaymentStatus.Succeeded || (news.Status != recorded.Status && news.At >= recorded.ProviderTime));

    async Task SaveMethodAsync(DbTransaction tx, PaymentProviderName provider, string customerId, string method, DateTimeOffset now)
    {
        var account = await store.AccountAsync(tx, customerId);
        if (account is not null && account.Provider != provider.Text()) return; // a payment elsewhere does not move the customer
        await PaymentStore.SaveAccountAsync(tx, (account ?? new PaymentAccount { CustomerId = customerId, Provider = provider.Text(), ChosenBy = "routing", Mode = PaymentMode.Text, CreatedAt = now })
            with { PaymentMethod = method, UpdatedAt = now });
    }

    /// <summary>Applies a refund's state: a refund made at the provider's own dashboard is recorded too; one that succeeds, once, makes its credit note.</summary>
    public async Task<string> ApplyAsync(DbTransaction tx, PaymentProviderName provider, RefundReported news, Actor actor)
    {
        var payment = await store.FindPaymentAsync(tx, provider.Text(), news.ProviderPaymentId);
        if (payment is null) return "unmatched";
        if (news.Cumulative)
        {
            // All refunded so far, of which what is recorded is known: the rest is this refund; nothing more, no news.
            var added = news.Amount - payment.AmountRefunded;
            if (added <= 0) return "unchanged";
            // News of a refund Tollgate asked for, come before the provider's answer to it: that refund, not another.
            var asked = await store.FindRefundAsync(tx, provider.Text(), news.ProviderRefundId, null) is null
                ? await store.PendingRefundAsync(tx, payment.Id, added)
                : null;
            news = news with { Amount = added, Cumulative = false, RefundId = news.RefundId ?? asked };
        }

        BillingClock.Enter(await BillingClock.OfCustomerAsync(tx, payment.CustomerId));
        var now = clock.Now;
        var existing = await store.FindRefundAsync(tx, provider.Text(), news.ProviderRefundId, news.RefundId);
        // A refund the provider holds for review (pending) still learns its id there, for the news of its review to find.
        if (existing is { Status: RefundStatus.Succeeded or RefundStatus.Failed }
            || (existing?.Status == news.Status && existing.ProviderRefundId == news.ProviderRefundId)) return "unchanged";
        var refund = existing is null
            ? new Refund
            {
                Id = Ids.New(PaymentStore.RefundPrefix, time), PaymentId = payment.Id, Provider = provider.Text(), ProviderRefundId = news.ProviderRefundId,
                Amount = news.Amount, Currency = news.Currency, Status = news.Status, CreatedAt = now, UpdatedAt = now,
            }
            : existing with { ProviderRefundId = news.ProviderRefundId, Amount = news.Amount, Status = news.Status, UpdatedAt = now };
        if (refund.Status == RefundStatus.Succeeded)
        {
            refund = refund with { CreditNoteId = await CreditAsync(tx, payment, refund, actor) };
            await PaymentStore.UpdateAsync(tx, payment with { AmountRefunded = checked(payment.AmountRefunded + refund.Amount), UpdatedAt = now });
        }

        if (existing is null) await PaymentStore.InsertAsync(tx, refund);
        else await PaymentStore.UpdateAsync(tx, refund);
        await audit.RecordAsync(tx, actor, $"refund.{EnumText.Snake(refund.Status)}", "refund", refund.Id, existing, refund, payment.CustomerId);
        await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), $"refund.{EnumText.Snake(refund.Status)}", payment.CustomerId, refund, now);
        return "applied";
    }

    /// <summary>
    /// The customer saved another payment method at the provider: the next charge uses it. The last delivered wins
    /// (an account holds no provider time to compare with); a provider that delivers these out of order re-reads its customer.
    /// </summary>
    public async Task<string> ApplyAsync(DbTransaction tx, PaymentProviderName provider, PaymentMethodUpdated news, Actor actor)
    {
        var account = await store.AccountAtProviderAsync(tx, provider.Text(), news.ProviderCustomerId);
        if (account is null) return "unmatched";
        if (account.PaymentMethod == news.PaymentMethod) return "unchanged";
        var updated = account with { PaymentMethod = news.PaymentMethod, UpdatedAt = time.GetUtcNow() };
        await PaymentStore.SaveAccountAsync(tx, updated);
        await audit.RecordAsync(tx, actor, "payment_account.updated", "payment_account", account.CustomerId, account, updated, account.CustomerId);
        return "applied";
    }

    /// <summary>
    /// A merchant of record's subscription changed at the provider: its state recorded (older news, by the provider's
    /// time, changes nothing), and, when it was cancelled there, the Tollgate subscription it keeps in step with set to
    /// end with its period (that period's usage is still billed), and no longer charged on.
    /// </summary>
    public async Task<string> ApplyAsync(DbTransaction tx, PaymentProviderName provider, ProviderSubscriptionChanged news, Actor actor)
    {
        var link = await store.LinkAsync(tx, provider.Text(), news.ProviderSubscriptionId);
        if (link is null) return "unmatched";
        var state = EnumText.Snake(news.State);
        if (news.At < link.ProviderTime || link.Status == state || link.Status == "canceled") return "unchanged";
        BillingClock.Enter(await BillingClock.OfCustomerAsync(tx, link.CustomerId));
        var now = clock.Now;
        var updated = link with { Status = state, ProviderTime = news.At, UpdatedAt = now };
        await PaymentStore.SaveLinkAsync(tx, updated);
        await audit.RecordAsync(tx, actor, $"provider_subscription.{state}", "subscription", link.SubscriptionId, link, updated, link.CustomerId);
        if (news.State != ProviderSubscriptionState.Canceled) return "applied";

        await PaymentStore.ForgetMethodAsync(tx, link, now);
        if (await subscriptions.FindAsync(tx, link.SubscriptionId, forUpdate: true) is { Status: not Billing.Subscriptions.SubscriptionStatus.Canceled } subscription)
            await subscriptions.CancelAtPeriodEndInAsync(tx, subscription, new Billing.Subscriptions.CancelSubscriptionRequest(Reason: $"canceled_at_{provider.Text()}"), actor);
        return "applied";
    }

    /// <summary>
    /// The credit note of a refund of an invoice's payment: the amount paid back, tax included, as the invoice's lines
    /// and tax were (<see cref="RefundCredit"/>). None when the payment paid no invoice, or the invoice has nothing left to credit.
    /// </summary>
    async Task<string?> CreditAsync(DbTransaction tx, Payment payment, Refund refund, Actor actor)
    {
        if (payment.InvoiceId is null || await invoices.FindAsync(tx, payment.InvoiceId, forUpdate: false) is not { } invoice) return null;
        var request = new CreateCreditNoteRequest(invoice.Id, Amount: RefundCredit.BeforeTax(invoice, RefundCredit.OfInvoice(refund.Amount, payment.Amount, payment.Tax)), Reason: refund.Reason ?? "refund");
        var note = await creditNotes.CreateInAsync(tx, request, actor, refund: true);
        return note.IsOk ? note.Value.Id : null;
    }
}
