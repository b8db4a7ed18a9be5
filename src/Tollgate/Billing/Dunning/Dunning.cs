using System.Data.Common;
using Dapper;
using Microsoft.Extensions.Options;
using Tollgate.Audit;
using Tollgate.Billing.Invoices;
using Tollgate.Billing.Subscriptions;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Billing.Dunning;

/// <summary>
/// What happens when an invoice is not paid (docs/billing.md, "Dunning"). A failed payment makes the subscription
/// <c>past_due</c>, with access, and schedules the retries (<c>Billing:RetryDays</c>, default 3, 5 and 7 days apart); at
/// each one Tollgate raises <c>invoice.payment_retry</c> for whatever charges the customer; after the last one and
/// <c>Billing:GraceDays</c>, dunning gives up: the invoice is uncollectible and the subscription canceled, and the customer
/// moved to <c>Billing:FallbackPlan</c> when one is set and free. A payment at
/// any point ends dunning and makes a past-due subscription active again. Each step is one transaction with its event.
/// </summary>
public sealed class DunningService(Database database, InvoiceStore invoices, SubscriptionStore subscriptions, AuditLog audit, IOptions<BillingOptions> options, Clocks.BillingClock clock, TimeProvider time)
{
    int Retries => options.Value.RetryDays.Length;

    public Task<Result<Invoice>> PaymentFailedAsync(string id, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync<Invoice>(async (connection, tx) =>
        {
            var invoice = await invoices.FindAsync(tx, id, forUpdate: true);
            if (invoice is null) return ApiError.NotFound("invoice", id);
            Clocks.BillingClock.Enter(await Clocks.BillingClock.OfCustomerAsync(tx, invoice.CustomerId));
            if (invoice.Status != InvoiceStatus.Open) return State(invoice, "fail a payment of");
            return await PaymentFailedInAsync(tx, invoice, actor);
        }, ct);

    /// <summary>
    /// A failed payment of an open invoice (locked by the caller, its clock entered), in the caller's transaction: the
    /// first starts the retry schedule, a retry's leaves it as it was; the subscription is past due.
    /// </summary>
    public async Task<Invoice> PaymentFailedInAsync(DbTransaction tx, Invoice invoice, Actor actor)
    {
        var now = clock.Now;
        var failed = invoice.PaymentAttempts == 0
            ? invoice with { PaymentAttempts = 1, NextPaymentAttempt = Retries > 0 ? now.AddDays(options.Value.RetryDays[0]) : now.AddDays(options.Value.GraceDays) }
            : invoice; // a retry reported failed: the schedule goes on as it was
        await SaveAttemptsAsync(tx, failed);
        await audit.RecordAsync(tx, actor, "invoice.payment_failed", "invoice", invoice.Id, invoice, failed, invoice.CustomerId);
        await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "invoice.payment_failed", invoice.CustomerId, failed, now);
        await SubscriptionAsync(tx, invoice, SubscriptionStatus.PastDue, actor);
        return failed;
    }

    /// <summary>Marks an open or uncollectible invoice paid in full, out of band; a past-due subscription with nothing else overdue is active again.</summary>
    public Task<Result<Invoice>> PayAsync(string id, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync<Invoice>(async (connection, tx) =>
        {
            var invoice = await invoices.FindAsync(tx, id, forUpdate: true);
            if (invoice is null) return ApiError.NotFound("invoice", id);
            Clocks.BillingClock.Enter(await Clocks.BillingClock.OfCustomerAsync(tx, invoice.CustomerId));
            if (invoice.Status is not (InvoiceStatus.Open or InvoiceStatus.Uncollectible)) return State(invoice, "pay");
            return await PaidInAsync(tx, invoice, actor);
        }, ct);

    /// <summary>
    /// An open or uncollectible invoice (locked by the caller, its clock entered) paid in full, in the caller's
    /// transaction: dunning ends, and a past-due or incomplete subscription with nothing else overdue is active.
    /// </summary>
    public async Task<Invoice> PaidInAsync(DbTransaction tx, Invoice invoice, Actor actor)
    {
        var paid = await invoices.PayInAsync(tx, invoice, actor);
        var overdue = invoice.SubscriptionId is null ? 0 : await tx.Connection!.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM invoices WHERE subscription_id = @SubscriptionId AND id <> @Id AND status = 'open' AND payment_attempts > 0", invoice, tx);
        if (overdue == 0) await SubscriptionAsync(tx, invoice, SubscriptionStatus.Active, actor);
        return paid;
    }

    /// <summary>Takes every dunning step that is due: a retry, or giving up. Returns how many steps it took.</summary>
    /// <remarks>Of the customers on <paramref name="testClock"/>, or with none, of the customers on no test clock.</remarks>
    public async Task<int> RunAsync(Actor actor, string? testClock, DateTimeOffset now, CancellationToken ct)
    {
        List<string> due;
        await using (var connection = await database.OpenAsync(ct))
        {
            due = [.. await connection.QueryAsync<string>(
                $"""
                SELECT id FROM invoices WHERE status = 'open' AND next_payment_attempt <= @now AND {SubscriptionStore.OnClock(testClock)}
                ORDER BY next_payment_attempt, id LIMIT 10000
                """, new { now, testClock })];
        }

        var steps = 0;
        foreach (var id in due)
        {
            if (await database.InTransactionAsync((connection, tx) => StepAsync(tx, id, now, actor), ct)) steps++;
        }

        return steps;
    }

    async Task<bool> StepAsync(DbTransaction tx, string id, DateTimeOffset now, Actor actor)
    {
        var invoice = await invoices.FindAsync(tx, id, forUpdate: true);
        if (invoice is not { Status: InvoiceStatus.Open, NextPaymentAttempt: { } next } || next > now) return false;
        if (invoice.PaymentAttempts <= Retries)
        {
            // Retry number PaymentAttempts is due; after the last one comes the grace period.
            var attempt = invoice.PaymentAttempts;
            var after = invoice with
            {
                PaymentAttempts = attempt + 1,
                NextPaymentAttempt = attempt < Retries ? now.AddDays(options.Value.RetryDays[attempt]) : now.AddDays(options.Value.GraceDays),
            };
            await SaveAttemptsAsync(tx, after);
            await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "invoice.payment_retry", invoice.CustomerId, new PaymentRetry(id, attempt, Retries), now);
            return true;
        }

        var uncollectible = await invoices.MarkUncollectibleInAsync(tx, invoice with { NextPaymentAttempt = null }, actor);
        await SaveAttemptsAsync(tx, uncollectible);
        if (invoice.SubscriptionId is { } subscriptionId && await subscriptions.FindAsync(tx, subscriptionId, forUpdate: true) is { GivesAccess: true } subscription)
        {
            var canceled = await subscriptions.CancelInAsync(tx, subscription, new CancelSubscriptionRequest(Reason: "payment_failed"), actor);
            if (options.Value.FallbackPlan is { } fallback && fallback != subscription.Plan) await subscriptions.FallBackInAsync(tx, canceled, fallback, actor);
        }

        return true;
    }

    async Task SubscriptionAsync(DbTransaction tx, Invoice invoice, SubscriptionStatus status, Actor actor)
    {
        if (invoice.SubscriptionId is not { } id || await subscriptions.FindAsync(tx, id, forUpdate: true) is not { } subscription) return;
        // Past due from active; active from past due, or from incomplete when its first invoice is paid.
        var moves = status == SubscriptionStatus.PastDue
            ? subscription.Status == SubscriptionStatus.Active
            : subscription.Status is SubscriptionStatus.PastDue or SubscriptionStatus.Incomplete;
        if (!moves) return;
        var now = clock.Now;
        var changed = subscription with { Status = status, UpdatedAt = now };
        await SubscriptionStore.UpdateInAsync(tx, changed);
        var action = status == SubscriptionStatus.PastDue ? "subscription.past_due" : subscription.Status == SubscriptionStatus.Incomplete ? "subscription.activated" : "subscription.recovered";
        await audit.RecordAsync(tx, actor, action, "subscription", id, subscription, changed, subscription.CustomerId);
        await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "subscription.updated", subscription.CustomerId, changed, now);
        if (subscription.Status == SubscriptionStatus.Incomplete) await subscriptions.DerivePlanAsync(tx, subscription.CustomerId);
    }

    static Task SaveAttemptsAsync(DbTransaction tx, Invoice invoice) =>
        tx.Connection!.ExecuteAsync("UPDATE invoices SET payment_attempts = @PaymentAttempts, next_payment_attempt = @NextPaymentAttempt WHERE id = @Id", invoice, tx);

    static ApiError State(Invoice invoice, string verb) =>
        ApiError.Conflict("invoice_state", $"Invoice {invoice.Id} is {EnumText.Snake(invoice.Status)}; only an open invoice can {verb}.");
}
