using System.Data.Common;
using Dapper;
using Tollgate.Common;
using Tollgate.Payments.Providers;
using Tollgate.Storage;

namespace Tollgate.Payments.Ledger;

/// <summary>The rows of payments, refunds and payment accounts: reads and writes in the caller's transaction, and the lists the API answers.</summary>
public sealed class PaymentStore(Database database)
{
    public const string PaymentPrefix = "py";
    public const string RefundPrefix = "rf";

    const string PaymentColumns = "id, customer_id, invoice_id, provider, provider_payment_id, amount, currency, amount_refunded, tax, mode, status, failure_code, failure_message, provider_time, created_at, updated_at";
    const string RefundColumns = "id, payment_id, provider, provider_refund_id, amount, currency, status, reason, credit_note_id, created_at, updated_at";

    /// <summary>Payments read ahead for a batch of webhook events (<see cref="ReadAheadAsync"/>), by provider and the provider's id.</summary>
    static readonly ReadAhead<(string Provider, string ProviderPaymentId), Payment?> Ahead = new();

    public async Task<Payment?> FindPaymentAsync(DbTransaction tx, string provider, string providerPaymentId) =>
        Ahead.TryGet(tx, (provider, providerPaymentId), out var kept)
            ? kept
            : (await tx.Connection!.QuerySingleOrDefaultAsync<PaymentRow>(
                $"SELECT {PaymentColumns} FROM payments WHERE provider = @provider AND provider_payment_id = @providerPaymentId{database.ForUpdate}",
                new { provider, providerPaymentId }, tx))?.ToPayment();

    /// <summary>
    /// Reads the payments of these providers' ids in one round trip (each by its key, locked, in key order, as one
    /// lookup each would lock them), for <see cref="FindPaymentAsync(DbTransaction, string, string)"/> to answer in the
    /// transaction until disposed. PostgreSQL only: on SQLite, in the process, a lookup costs no round trip.
    /// </summary>
    public async Task<IDisposable> ReadAheadAsync(DbTransaction tx, IReadOnlyCollection<(string Provider, string ProviderPaymentId)> keys)
    {
        if (tx is not Npgsql.NpgsqlTransaction postgres || keys.Count == 0) return Ahead.Begin(tx, []);
        var ordered = keys.Distinct().OrderBy(k => k.Provider, StringComparer.Ordinal).ThenBy(k => k.ProviderPaymentId, StringComparer.Ordinal).ToList();
        var answers = await PostgresBatch.QueryEachAsync<PaymentRow>(postgres,
            $"SELECT {PaymentColumns} FROM payments WHERE provider = $1 AND provider_payment_id = $2 FOR UPDATE",
            [.. ordered.Select(k => new object?[] { k.Provider, k.ProviderPaymentId })], CancellationToken.None);
        // Only payments found are kept: one absent now may be committed by another writer before this batch looks it
        // up, and that lookup must then find (and lock) it.
        var rows = new Dictionary<(string, string), Payment?>();
        for (var i = 0; i < ordered.Count; i++)
        {
            if (answers[i].SingleOrDefault()?.ToPayment() is { } payment) rows[ordered[i]] = payment;
        }

        return Ahead.Begin(tx, rows);
    }

    public async Task<Payment?> FindPaymentAsync(DbTransaction tx, string id) =>
        (await tx.Connection!.QuerySingleOrDefaultAsync<PaymentRow>($"SELECT {PaymentColumns} FROM payments WHERE id = @id{database.ForUpdate}", new { id }, tx))?.ToPayment();

    public static Task InsertAsync(DbTransaction tx, Payment p)
    {
        Ahead.Set(tx, (p.Provider, p.ProviderPaymentId), p);
        return tx.Connection!.ExecuteAsync(
            $"""
            INSERT INTO payments ({PaymentColumns})
            VALUES (@Id, @CustomerId, @InvoiceId, @Provider, @ProviderPaymentId, @Amount, @Currency, @AmountRefunded, @Tax, @Mode, @status, @FailureCode, @FailureMessage, @ProviderTime, @CreatedAt, @UpdatedAt)
            """, Parameters(p), tx);
    }

    public static Task UpdateAsync(DbTransaction tx, Payment p)
    {
        Ahead.Set(tx, (p.Provider, p.ProviderPaymentId), p);
        return tx.Connection!.ExecuteAsync(
            """
            UPDATE payments SET invoice_id = @InvoiceId, amount = @Amount, amount_refunded = @AmountRefunded, tax = @Tax, status = @status, failure_code = @FailureCode,
                failure_message = @FailureMessage, provider_time = @ProviderTime, updated_at = @UpdatedAt
            WHERE id = @Id
            """, Parameters(p), tx);
    }

    static object Parameters(Payment p) => new
    {
        p.Id, p.CustomerId, p.InvoiceId, p.Provider, p.ProviderPaymentId, p.Amount, p.Currency, p.AmountRefunded, p.Tax, p.Mode, status = EnumText.Snake(p.Status),
        p.FailureCode, p.FailureMessage, p.ProviderTime, p.CreatedAt, p.UpdatedAt,
    };

    public async Task<Refund?> FindRefundAsync(DbTransaction tx, string provider, string? providerRefundId, string? refundId)
    {
        var row = providerRefundId is null ? null : await tx.Connection!.QuerySingleOrDefaultAsync<RefundRow>(
            $"SELECT {RefundColumns} FROM refunds WHERE provider = @provider AND provider_refund_id = @providerRefundId{database.ForUpdate}", new { provider, providerRefundId }, tx);
        row ??= refundId is null ? null : await tx.Connection!.QuerySingleOrDefaultAsync<RefundRow>(
            $"SELECT {RefundColumns} FROM refunds WHERE id = @refundId AND provider = @provider{database.ForUpdate}", new { refundId, provider }, tx);
        return row?.ToRefund();
    }

    /// <summary>The oldest refund of the payment still waiting for its provider's answer (no provider id yet) of exactly this amount.</summary>
    public async Task<string?> PendingRefundAsync(DbTransaction tx, string paymentId, long amount) =>
        await tx.Connection!.QueryFirstOrDefaultAsync<string?>(
            $"SELECT id FROM refunds WHERE payment_id = @paymentId AND status = 'pending' AND provider_refund_id IS NULL AND amount = @amount ORDER BY id LIMIT 1{database.ForUpdate}",
            new { paymentId, amount }, tx);

    public static Task InsertAsync(DbTransaction tx, Refund r) =>
        tx.Connection!.ExecuteAsync(
            $"""
            INSERT INTO refunds ({RefundColumns})
            VALUES (@Id, @PaymentId, @Provider, @ProviderRefundId, @Amount, @Currency, @status, @Reason, @CreditNoteId, @CreatedAt, @UpdatedAt)
            """, new { r.Id, r.PaymentId, r.Provider, r.ProviderRefundId, r.Amount, r.Currency, status = EnumText.Snake(r.Status), r.Reason, r.CreditNoteId, r.CreatedAt, r.UpdatedAt }, tx);

    public static Task UpdateAsync(DbTransaction tx, Refund r) =>
        tx.Connection!.ExecuteAsync(
            "UPDATE refunds SET provider_refund_id = @ProviderRefundId, amount = @Amount, status = @status, credit_note_id = @CreditNoteId, updated_at = @UpdatedAt WHERE id = @Id",
            new { r.Id, r.ProviderRefundId, r.Amount, status = EnumText.Snake(r.Status), r.CreditNoteId, r.UpdatedAt }, tx);

    /// <summary>What of a payment is refunded or on its way to be: refunds that succeeded or are pending.</summary>
    public static Task<long> RefundingAsync(DbTransaction tx, string paymentId) =>
        tx.Connection!.ExecuteScalarAsync<long>("SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE payment_id = @paymentId AND status <> 'failed'", new { paymentId }, tx);

    public async Task<PaymentAccount?> AccountAsync(DbTransaction tx, string customerId) =>
        await tx.Connection!.QuerySingleOrDefaultAsync<PaymentAccount>(
            $"SELECT customer_id, provider, provider_customer_id, payment_method, chosen_by, mode, created_at, updated_at FROM payment_accounts WHERE customer_id = @customerId{database.ForUpdate}",
            new { customerId }, tx);

    /// <summary>The account of the customer a provider knows by <paramref name="providerCustomerId"/>, locked for the change.</summary>
    public async Task<PaymentAccount?> AccountAtProviderAsync(DbTransaction tx, string provider, string providerCustomerId) =>
        await tx.Connection!.QuerySingleOrDefaultAsync<PaymentAccount>(
            $"SELECT customer_id, provider, provider_customer_id, payment_method, chosen_by, mode, created_at, updated_at FROM payment_accounts WHERE provider = @provider AND provider_customer_id = @providerCustomerId{database.ForUpdate}",
            new { provider, providerCustomerId }, tx);

    public static Task SaveAccountAsync(DbTransaction tx, PaymentAccount a) =>
        tx.Connection!.ExecuteAsync(
            """
            INSERT INTO payment_accounts (customer_id, provider, provider_customer_id, payment_method, chosen_by, mode, created_at, updated_at)
            VALUES (@CustomerId, @Provider, @ProviderCustomerId, @PaymentMethod, @ChosenBy, @Mode, @CreatedAt, @UpdatedAt)
            ON CONFLICT (customer_id) DO UPDATE SET provider = excluded.provider, provider_customer_id = excluded.provider_customer_id,
                payment_method = excluded.payment_method, chosen_by = excluded.chosen_by, mode = excluded.mode, updated_at = excluded.updated_at
            """, a, tx);

    const string LinkColumns = "subscription_id, customer_id, provider, provider_subscription_id, status, mode, provider_time, created_at, updated_at";

    /// <summary>The Tollgate subscription a provider's own subscription is kept in step with, locked for the change.</summary>
    public async Task<ProviderSubscription?> LinkAsync(DbTransaction tx, string provider, string providerSubscriptionId) =>
        await tx.Connection!.QuerySingleOrDefaultAsync<ProviderSubscription>(
            $"SELECT {LinkColumns} FROM provider_subscriptions WHERE provider = @provider AND provider_subscription_id = @providerSubscriptionId{database.ForUpdate}",
            new { provider, providerSubscriptionId }, tx);

    public static Task SaveLinkAsync(DbTransaction tx, ProviderSubscription link) =>
        tx.Connection!.ExecuteAsync(
            $"""
            INSERT INTO provider_subscriptions ({LinkColumns})
            VALUES (@SubscriptionId, @CustomerId, @Provider, @ProviderSubscriptionId, @Status, @Mode, @ProviderTime, @CreatedAt, @UpdatedAt)
            ON CONFLICT (subscription_id) DO UPDATE SET provider = excluded.provider, provider_subscription_id = excluded.provider_subscription_id,
                status = excluded.status, provider_time = excluded.provider_time, updated_at = excluded.updated_at
            """, link, tx);

    /// <summary>A provider subscription out of step with its Tollgate subscription, and the state it should be in.</summary>
    public sealed record OutOfStep(ProviderSubscription Link, string Wanted);

    /// <summary>
    /// Provider subscriptions out of step with their Tollgate subscription, of the customers on <paramref name="testClock"/>
    /// (or on none). <paramref name="resuming"/>: those paused there whose Tollgate subscription is active again (to be
    /// resumed before the run's invoices are collected). Otherwise: those still running whose Tollgate subscription has
    /// ended, or active whose Tollgate subscription is paused, once it has no open invoice with something due (its last
    /// invoice is collected on it first).
    /// </summary>
    public async Task<IReadOnlyList<OutOfStep>> OutOfStepAsync(string? testClock, bool resuming, CancellationToken ct)
    {
        var which = resuming
            ? "s.status IN ('active', 'past_due', 'trialing') AND l.status = 'paused'"
            : """
              ((s.status = 'canceled' AND l.status <> 'canceled') OR (s.status = 'paused' AND l.status = 'active'))
              AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.subscription_id = l.subscription_id AND i.status = 'open' AND i.amount_due > 0)
              """;
        await using var connection = await database.OpenAsync(ct);
        return [.. await connection.QueryAsync<ProviderSubscription, string, OutOfStep>(
            $"""
            SELECT l.subscription_id, l.customer_id, l.provider, l.provider_subscription_id, l.status, l.mode, l.provider_time, l.created_at, l.updated_at,
                   CASE WHEN s.status = 'canceled' THEN 'canceled' WHEN s.status = 'paused' THEN 'paused' ELSE 'active' END AS wanted
            FROM provider_subscriptions l JOIN subscriptions s ON s.id = l.subscription_id
            WHERE l.status <> 'canceled' AND s.{Billing.Subscriptions.SubscriptionStore.OnClock(testClock)} AND {which}
            ORDER BY l.subscription_id LIMIT 1000
            """, (link, wanted) => new OutOfStep(link, wanted), new { testClock }, splitOn: "wanted")];
    }

    /// <summary>
    /// Records a provider subscription in the state it was brought to, if it is still in the state it was read in (news
    /// from the provider meanwhile wins); an ended one is no longer the customer's payment method. False when it moved.
    /// </summary>
    public static async Task<bool> MoveLinkAsync(DbTransaction tx, ProviderSubscription read, string wanted, DateTimeOffset now)
    {
        var moved = await tx.Connection!.ExecuteAsync(
            "UPDATE provider_subscriptions SET status = @wanted, updated_at = @now WHERE subscription_id = @SubscriptionId AND status = @Status",
            new { wanted, now, read.SubscriptionId, read.Status }, tx) == 1;
        if (moved && wanted == "canceled") await ForgetMethodAsync(tx, read, now);
        return moved;
    }

    /// <summary>An ended provider subscription is no longer its customer's payment method, if it was.</summary>
    public static Task ForgetMethodAsync(DbTransaction tx, ProviderSubscription ended, DateTimeOffset now) =>
        tx.Connection!.ExecuteAsync(
            "UPDATE payment_accounts SET payment_method = NULL, updated_at = @now WHERE customer_id = @CustomerId AND payment_method = @ProviderSubscriptionId",
            new { now, ended.CustomerId, ended.ProviderSubscriptionId }, tx);

    /// <summary>The customer's provider subscriptions, as the API shows them beside its payment account.</summary>
    public async Task<IReadOnlyList<ProviderSubscription>> LinksAsync(string customerId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return [.. await connection.QueryAsync<ProviderSubscription>(
            $"SELECT {LinkColumns} FROM provider_subscriptions WHERE customer_id = @customerId ORDER BY subscription_id", new { customerId })];
    }

    /// <summary>The mode a payment was made in: the credentials its refunds are asked with, whatever its customer's account says since.</summary>
    public async Task<string?> ModeOfPaymentAsync(string paymentId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<string?>("SELECT mode FROM payments WHERE id = @paymentId", new { paymentId });
    }

    public async Task<IReadOnlyList<Payment>> ListAsync(string? customerId, string? invoiceId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<PaymentRow>(
            $"""
            SELECT {PaymentColumns} FROM payments
            WHERE (@customerId IS NULL OR customer_id = @customerId) AND (@invoiceId IS NULL OR invoice_id = @invoiceId)
            ORDER BY id DESC LIMIT 1000
            """, new { customerId, invoiceId });
        return [.. rows.Select(r => r.ToPayment())];
    }

    public async Task<IReadOnlyList<Refund>> RefundsAsync(IReadOnlyList<string> paymentIds, CancellationToken ct)
    {
        if (paymentIds.Count == 0) return [];
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<RefundRow>(
            $"SELECT {RefundColumns} FROM refunds WHERE payment_id {database.AnyOf("ids")} ORDER BY id", new { ids = database.ListOf(paymentIds) });
        return [.. rows.Select(r => r.ToRefund())];
    }

    sealed class PaymentRow
    {
        public string Id { get; init; } = "";
        public string CustomerId { get; init; } = "";
        public string? InvoiceId { get; init; }
        public string Provider { get; init; } = "";
        public string ProviderPaymentId { get; init; } = "";
        public long Amount { get; init; }
        public string Currency { get; init; } = "";
        public long AmountRefunded { get; init; }
        public long Tax { get; init; }
        public string Mode { get; init; } = "live";
        public string Status { get; init; } = "";
        public string? FailureCode { get; init; }
        public string? FailureMessage { get; init; }
        public DateTimeOffset ProviderTime { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }

        public Payment ToPayment() => new()
        {
            Id = Id, CustomerId = CustomerId, InvoiceId = InvoiceId, Provider = Provider, ProviderPaymentId = ProviderPaymentId, Amount = Amount, Currency = Currency,
            AmountRefunded = AmountRefunded, Tax = Tax, Mode = Mode, Status = EnumText.Parse<PaymentStatus>(Status), FailureCode = FailureCode, FailureMessage = FailureMessage,
            ProviderTime = ProviderTime, CreatedAt = CreatedAt, UpdatedAt = UpdatedAt,
        };
    }

    sealed class RefundRow
    {
        public string Id { get; init; } = "";
        public string PaymentId { get; init; } = "";
        public string Provider { get; init; } = "";
        public string? ProviderRefundId { get; init; }
        public long Amount { get; init; }
        public string Currency { get; init; } = "";
        public string Status { get; init; } = "";
        public string? Reason { get; init; }
        public string? CreditNoteId { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }

        public Refund ToRefund() => new()
        {
            Id = Id, PaymentId = PaymentId, Provider = Provider, ProviderRefundId = ProviderRefundId, Amount = Amount, Currency = Currency,
            Status = EnumText.Parse<RefundStatus>(Status), Reason = Reason, CreditNoteId = CreditNoteId, CreatedAt = CreatedAt, UpdatedAt = UpdatedAt,
        };
    }
}
