using System.Data.Common;
using System.Globalization;
using Dapper;
using Tollgate.Audit;
using Tollgate.Billing.Balances;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Billing.Invoices;

/// <summary>
/// Invoices and their lines. Every change of state is one transaction with its audit entry and its outbox event. A
/// subscription's invoice carries a billing key (subscription, period, reason), unique, so whatever runs twice (an
/// invoice run retried, two nodes at once, a run after a crash) bills a period once.
/// </summary>
public sealed class InvoiceStore(Database database, AuditLog audit, Wallets.WalletStore wallets, Microsoft.Extensions.Options.IOptions<BillingOptions> billing, Clocks.BillingClock clock, TimeProvider time)
{
    string Prefix => billing.Value.InvoicePrefix;

    const string Columns =
        "id, number, customer_id, subscription_id, status, billing_reason, currency, period_start, period_end, subtotal, discount, tax, taxes, tax_note, discount_code, " +
        "total, credits_applied, amount_due, amount_paid, payment_attempts, next_payment_attempt, created_at, finalized_at, paid_at, voided_at, marked_uncollectible_at";

    /// <summary>Inserts a draft with its lines; false when an invoice with the same billing key exists already.</summary>
    public static async Task<bool> InsertAsync(DbTransaction tx, Invoice invoice, string? billingKey)
    {
        var connection = tx.Connection!;
        var inserted = await connection.ExecuteAsync(
            $"""
            INSERT INTO invoices ({Columns}, billing_key, test_clock_id)
            VALUES (@Id, NULL, @CustomerId, @SubscriptionId, @status, @reason, @Currency, @PeriodStart, @PeriodEnd, @Subtotal, @Discount, @Tax, @taxes, @TaxNote, @DiscountCode,
                    @Total, @CreditsApplied, @AmountDue, @AmountPaid, 0, NULL, @CreatedAt, NULL, NULL, NULL, NULL, @billingKey,
                    (SELECT test_clock_id FROM customers WHERE id = @CustomerId))
            ON CONFLICT (billing_key) DO NOTHING
            """,
            new
            {
                invoice.Id, invoice.CustomerId, invoice.SubscriptionId, status = EnumText.Snake(invoice.Status), reason = EnumText.Snake(invoice.BillingReason),
                invoice.Currency, invoice.PeriodStart, invoice.PeriodEnd, invoice.Subtotal, invoice.Discount, invoice.Tax, taxes = ApiJson.Serialize(invoice.Taxes), invoice.TaxNote, invoice.DiscountCode,
                invoice.Total, invoice.CreditsApplied, invoice.AmountDue, invoice.AmountPaid, invoice.CreatedAt, billingKey,
            }, tx);
        if (inserted == 0) return false;
        foreach (var line in invoice.Lines)
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO invoice_lines (invoice_id, position, kind, description, metric, detail, period_start, period_end, quantity, unit_amount, amount)
                VALUES (@invoiceId, @Position, @kind, @Description, @Metric, @Detail, @PeriodStart, @PeriodEnd, @quantity, @unitAmount, @Amount)
                """,
                new
                {
                    invoiceId = invoice.Id, line.Position, kind = EnumText.Snake(line.Kind), line.Description, line.Metric, line.Detail, line.PeriodStart, line.PeriodEnd,
                    quantity = line.Quantity.ToString(CultureInfo.InvariantCulture), unitAmount = line.UnitAmount?.ToString(CultureInfo.InvariantCulture), line.Amount,
                }, tx);
        }

        return true;
    }

    /// <summary>
    /// Finalizes a draft in the caller's transaction: the next number of the sequence (gapless: taken in the same
    /// transaction, so a rollback gives it back), after tax the customer's credit balance and then its wallets (never
    /// beyond what is due), status open, or paid at once when nothing is left due.
    /// </summary>
    public async Task<Invoice> FinalizeInAsync(DbTransaction tx, Invoice draft, Actor actor)
    {
        var now = clock.Now;
        var connection = tx.Connection!;
        var number = await NextNumberAsync(tx, Prefix);
        var balance = await CustomerBalance.OfAsync(tx, draft.CustomerId, draft.Currency);
        var credits = Math.Clamp(balance, 0, Math.Max(0, draft.AmountDue));
        if (credits > 0)
        {
            await CustomerBalance.RecordAsync(tx, Ids.New(CustomerBalance.TransactionPrefix, time), draft.CustomerId, draft.Currency, -credits,
                $"Applied to invoice {Prefix}-{number:D6}", draft.Id, now);
        }

        var fromWallets = await wallets.ApplyInAsync(tx, draft.CustomerId, draft.Currency, draft.AmountDue - credits, draft.Id);
        credits += fromWallets;
        var due = draft.AmountDue - credits;
        var paid = due == 0;
        var finalized = draft with
        {
            Number = $"{Prefix}-{number:D6}",
            Status = paid ? InvoiceStatus.Paid : InvoiceStatus.Open,
            CreditsApplied = draft.CreditsApplied + credits,
            AmountDue = due,
            FinalizedAt = now,
            PaidAt = paid ? now : null,
        };
        await connection.ExecuteAsync(
            """
            UPDATE invoices SET number = @Number, status = @status, credits_applied = @CreditsApplied, amount_due = @AmountDue,
                                finalized_at = @FinalizedAt, paid_at = @PaidAt
            WHERE id = @Id
            """,
            new { finalized.Number, status = EnumText.Snake(finalized.Status), finalized.CreditsApplied, finalized.AmountDue, finalized.FinalizedAt, finalized.PaidAt, finalized.Id }, tx);
        await audit.RecordAsync(tx, actor, "invoice.finalized", "invoice", finalized.Id, draft, finalized, finalized.CustomerId);
        await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "invoice.finalized", finalized.CustomerId, finalized, now);
        if (paid) await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "invoice.paid", finalized.CustomerId, finalized, now);
        return finalized;
    }

    /// <summary>The next number of a gapless sequence, taken in the caller's transaction (a rollback gives it back).</summary>
    internal static async Task<long> NextNumberAsync(DbTransaction tx, string prefix)
    {
        await tx.Connection!.ExecuteAsync("INSERT INTO invoice_numbers (prefix, next_number) VALUES (@prefix, 1) ON CONFLICT (prefix) DO NOTHING", new { prefix }, tx);
        return await tx.Connection!.ExecuteScalarAsync<long>(
            "UPDATE invoice_numbers SET next_number = next_number + 1 WHERE prefix = @prefix RETURNING next_number - 1", new { prefix }, tx);
    }

    /// <summary>The prefix of invoice numbers; credit notes take theirs from <c>{prefix}CN</c>.</summary>
    internal string NumberPrefix => Prefix;

    /// <summary>Records a new draft's creation: its audit entry and its <c>invoice.created</c> event.</summary>
    public async Task CreatedInAsync(DbTransaction tx, Invoice invoice, Actor actor)
    {
        await audit.RecordAsync(tx, actor, "invoice.created", "invoice", invoice.Id, null, invoice, invoice.CustomerId);
        await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "invoice.created", invoice.CustomerId, invoice, invoice.CreatedAt);
    }

    public Task<Result<Invoice>> FinalizeAsync(string id, Actor actor, CancellationToken ct) =>
        TransitionAsync(id, [InvoiceStatus.Draft], "finalize", (tx, invoice) => FinalizeInAsync(tx, invoice, actor), ct);

    /// <summary>Marks an invoice paid in full, in the caller's transaction (the caller checked it may be); dunning ends.</summary>
    internal async Task<Invoice> PayInAsync(DbTransaction tx, Invoice invoice, Actor actor)
    {
        var now = clock.Now;
        var paid = invoice with { Status = InvoiceStatus.Paid, PaidAt = now, AmountPaid = invoice.AmountDue, NextPaymentAttempt = null };
        await tx.Connection!.ExecuteAsync("UPDATE invoices SET status = 'paid', paid_at = @now, amount_paid = @AmountDue, next_payment_attempt = NULL WHERE id = @Id",
            new { now, invoice.AmountDue, invoice.Id }, tx);
        await RecordAsync(tx, actor, "invoice.paid", invoice, paid, now);
        return paid;
    }

    public Task<Result<Invoice>> VoidAsync(string id, Actor actor, CancellationToken ct) =>
        TransitionAsync(id, [InvoiceStatus.Open, InvoiceStatus.Uncollectible], "void", async (tx, invoice) =>
        {
            var now = clock.Now;
            var voided = invoice with { Status = InvoiceStatus.Void, VoidedAt = now };
            await tx.Connection!.ExecuteAsync("UPDATE invoices SET status = 'void', voided_at = @now WHERE id = @Id", new { now, invoice.Id }, tx);
            await RecordAsync(tx, actor, "invoice.voided", invoice, voided, now);
            return voided;
        }, ct);

    public Task<Result<Invoice>> MarkUncollectibleAsync(string id, Actor actor, CancellationToken ct) =>
        TransitionAsync(id, [InvoiceStatus.Open], "mark as uncollectible", (tx, invoice) => MarkUncollectibleInAsync(tx, invoice, actor), ct);

    internal async Task<Invoice> MarkUncollectibleInAsync(DbTransaction tx, Invoice invoice, Actor actor)
    {
        var now = clock.Now;
        var marked = invoice with { Status = InvoiceStatus.Uncollectible, MarkedUncollectibleAt = now };
        await tx.Connection!.ExecuteAsync("UPDATE invoices SET status = 'uncollectible', marked_uncollectible_at = @now WHERE id = @Id",
            new { now, invoice.Id }, tx);
        await RecordAsync(tx, actor, "invoice.marked_uncollectible", invoice, marked, now);
        return marked;
    }

    async Task RecordAsync(DbTransaction tx, Actor actor, string action, Invoice before, Invoice after, DateTimeOffset now)
    {
        await audit.RecordAsync(tx, actor, action, "invoice", after.Id, before, after, after.CustomerId);
        await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), action, after.CustomerId, after, now);
    }

    Task<Result<Invoice>> TransitionAsync(
        string id, InvoiceStatus[] from, string verb, Func<DbTransaction, Invoice, Task<Invoice>> change, CancellationToken ct) =>
        database.InTransactionAsync<Invoice>(async (connection, tx) =>
        {
            var invoice = await FindAsync(tx, id, forUpdate: true);
            if (invoice is null) return ApiError.NotFound("invoice", id);
            Clocks.BillingClock.Enter(await Clocks.BillingClock.OfCustomerAsync(tx, invoice.CustomerId));
            if (!from.Contains(invoice.Status))
            {
                return ApiError.Conflict("invoice_state", $"Invoice {id} is {EnumText.Snake(invoice.Status)}; only {string.Join(" or ", from.Select(EnumText.Snake))} invoices can {verb}.");
            }

            return await change(tx, invoice);
        }, ct);

    public async Task<Invoice?> GetAsync(string id, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        return await FindAsync(tx, id, forUpdate: false);
    }

    public async Task<Page<Invoice>> ListAsync(string? customerId, string? subscriptionId, InvoiceStatus? status, PageRequest page, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var rows = (await connection.QueryAsync<Row>(
            $"""
            SELECT {Columns} FROM invoices
            WHERE (@Cursor IS NULL OR id < @Cursor) AND (@customerId IS NULL OR customer_id = @customerId)
              AND (@subscriptionId IS NULL OR subscription_id = @subscriptionId) AND (@status IS NULL OR status = @status)
            ORDER BY id DESC
            LIMIT @Take
            """,
            new { page.Cursor, customerId, subscriptionId, status = status is { } s ? EnumText.Snake(s) : null, Take = page.Size + 1 }, tx)).ToList();
        var invoices = new List<Invoice>(rows.Count);
        foreach (var row in rows) invoices.Add(row.ToInvoice(await LinesAsync(tx, row.Id)));
        return Page<Invoice>.From(invoices, page.Size, i => i.Id);
    }

    internal async Task<Invoice?> FindAsync(DbTransaction tx, string id, bool forUpdate)
    {
        var row = await tx.Connection!.QuerySingleOrDefaultAsync<Row>(
            $"SELECT {Columns} FROM invoices WHERE id = @id{(forUpdate ? database.ForUpdate : "")}", new { id }, tx);
        return row?.ToInvoice(await LinesAsync(tx, id));
    }

    static async Task<IReadOnlyList<InvoiceLine>> LinesAsync(DbTransaction tx, string invoiceId) =>
        [.. (await tx.Connection!.QueryAsync<LineRow>(
            "SELECT position, kind, description, metric, detail, period_start, period_end, quantity, unit_amount, amount FROM invoice_lines WHERE invoice_id = @invoiceId ORDER BY position",
            new { invoiceId }, tx)).Select(l => l.ToLine())];

    sealed class Row
    {
        public string Id { get; init; } = "";
        public string? Number { get; init; }
        public string CustomerId { get; init; } = "";
        public string? SubscriptionId { get; init; }
        public string Status { get; init; } = "";
        public string BillingReason { get; init; } = "";
        public string Currency { get; init; } = "";
        public DateTimeOffset PeriodStart { get; init; }
        public DateTimeOffset PeriodEnd { get; init; }
        public long Subtotal { get; init; }
        public long Discount { get; init; }
        public long Tax { get; init; }
        public string Taxes { get; init; } = "[]";
        public string? TaxNote { get; init; }
        public string? DiscountCode { get; init; }
        public long Total { get; init; }
        public long CreditsApplied { get; init; }
        public long AmountDue { get; init; }
        public long AmountPaid { get; init; }
        public long PaymentAttempts { get; init; }
        public DateTimeOffset? NextPaymentAttempt { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset? FinalizedAt { get; init; }
        public DateTimeOffset? PaidAt { get; init; }
        public DateTimeOffset? VoidedAt { get; init; }
        public DateTimeOffset? MarkedUncollectibleAt { get; init; }

        public Invoice ToInvoice(IReadOnlyList<InvoiceLine> lines) => new()
        {
            Id = Id, Number = Number, CustomerId = CustomerId, SubscriptionId = SubscriptionId, Status = EnumText.Parse<InvoiceStatus>(Status),
            BillingReason = EnumText.Parse<BillingReason>(BillingReason), Currency = Currency, PeriodStart = PeriodStart, PeriodEnd = PeriodEnd,
            Lines = lines, Subtotal = Subtotal, Discount = Discount, Tax = Tax, Taxes = ApiJson.Deserialize<List<TaxLine>>(Taxes) ?? [], TaxNote = TaxNote, DiscountCode = DiscountCode, Total = Total,
            CreditsApplied = CreditsApplied, AmountDue = AmountDue, AmountPaid = AmountPaid,
            PaymentAttempts = (int)PaymentAttempts, NextPaymentAttempt = NextPaymentAttempt, CreatedAt = CreatedAt, FinalizedAt = FinalizedAt,
            PaidAt = PaidAt, VoidedAt = VoidedAt, MarkedUncollectibleAt = MarkedUncollectibleAt,
        };
    }

    sealed class LineRow
    {
        public long Position { get; init; }
        public string Kind { get; init; } = "";
        public string Description { get; init; } = "";
        public string? Metric { get; init; }
        public string? Detail { get; init; }
        public DateTimeOffset PeriodStart { get; init; }
        public DateTimeOffset PeriodEnd { get; init; }
        public string Quantity { get; init; } = "0";
        public string? UnitAmount { get; init; }
        public long Amount { get; init; }

        public InvoiceLine ToLine() => new((int)Position, EnumText.Parse<InvoiceLineKind>(Kind), Description, PeriodStart, PeriodEnd,
            decimal.Parse(Quantity, CultureInfo.InvariantCulture), UnitAmount is null ? null : decimal.Parse(UnitAmount, CultureInfo.InvariantCulture), Amount, Metric, Detail);
    }
}
