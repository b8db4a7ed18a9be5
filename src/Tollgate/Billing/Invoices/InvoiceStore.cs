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
public sealed class InvoiceStore(
    Database database, AuditLog audit, Wallets.WalletStore wallets, Microsoft.Extensions.Options.IOptions<BillingOptions> billing, Clocks.BillingClock clock, TimeProvider time,
    IEnumerable<IInvoiceVoidRule> voidRules)
{
    string Prefix => billing.Value.InvoicePrefix;

    const string Columns =
        "id, number, customer_id, subscription_id, status, billing_reason, currency, period_start, period_end, subtotal, discount, tax, taxes, tax_note, discount_code, " +
        "total, credits_applied, amount_due, amount_paid, payment_attempts, next_payment_attempt, created_at, finalized_at, paid_at, voided_at, marked_uncollectible_at, " +
        "test_clock_id";

    /// <summary>Inserts a draft with its lines; false when an invoice with the same billing key exists already.</summary>
    public static async Task<bool> InsertAsync(DbTransaction tx, Invoice invoice, string? billingKey) =>
        (await InsertManyAsync(tx, [(invoice, billingKey)])).Count == 1;

    /// <summary>Inserts invoices as they are (drafts, or finalized already) with their lines; answers the ids of those whose billing key was new.</summary>
    static async Task<IReadOnlySet<string>> InsertManyAsync(DbTransaction tx, IReadOnlyList<(Invoice Invoice, string? BillingKey)> invoices)
    {
        var connection = tx.Connection!;
        var inserted = await BulkInsert.InsertNewReturningAsync(connection, tx, "invoices", "billing_key", InvoiceColumns, invoices, ("id", i => i.Invoice.Id), CancellationToken.None);
        var lines = invoices.Where(i => inserted.Contains(i.Invoice.Id)).SelectMany(i => i.Invoice.Lines.Select(l => (i.Invoice.Id, Line: l))).ToList();
        await BulkInsert.InsertNewAsync(connection, tx, "invoice_lines", "invoice_id, position", LineColumns, lines, CancellationToken.None);
        return inserted;
    }

    static readonly IReadOnlyList<BulkColumn<(Invoice Invoice, string? BillingKey)>> InvoiceColumns =
    [
        BulkColumn<(Invoice Invoice, string? BillingKey)>.Text("id", i => i.Invoice.Id),
        BulkColumn<(Invoice Invoice, string? BillingKey)>.Text("number", i => i.Invoice.Number),
        BulkColumn<(Invoice Invoice, string? BillingKey)>.Text("customer_id", i => i.Invoice.CustomerId),
        BulkColumn<(Invoice Invoice, string? BillingKey)>.Text("subscription_id", i => i.Invoice.SubscriptionId),
        BulkColumn<(Invoice Invoice, string? BillingKey)>.Text("status", i => EnumText.Snake(i.Invoice.Status)),
        BulkColumn<(Invoice Invoice, string? BillingKey)>.Text("billing_reason", i => EnumText.Snake(i.Invoice.BillingReason)),
        BulkColumn<(Invoice Invoice, string? BillingKey)>.Text("currency", i => i.Invoice.Currency),
        BulkColumn<(Invoice Invoice, string? BillingKey)>.Timestamp("period_start", i => i.Invoice.PeriodStart),
        BulkColumn<(Invoice Invoice, string? BillingKey)>.Timestamp("period_end", i => i.Invoice.PeriodEnd),
        BulkColumn<(Invoice Invoice, string? BillingKey)>.Long("subtotal", i => i.Invoice.Subtotal),
        BulkColumn<(Invoice Invoice, string? BillingKey)>.Long("discount", i => i.Invoice.Discount),
        BulkColumn<(Invoice Invoice, string? BillingKey)>.Long("tax", i => i.Invoice.Tax),
        BulkColumn<(Invoice Invoice, string? BillingKey)>.Text("taxes", i => ApiJson.Serialize(i.Invoice.Taxes)),
        BulkColumn<(Invoice Invoice, string? BillingKey)>.Text("tax_note", i => i.Invoice.TaxNote),
        BulkColumn<(Invoice Invoice, string? BillingKey)>.Text("discount_code", i => i.Invoice.DiscountCode),
        BulkColumn<(Invoice Invoice, string? BillingKey)>.Long("total", i => i.Invoice.Total),
        BulkColumn<(Invoice Invoice, string? BillingKey)>.Long("credits_applied", i => i.Invoice.CreditsApplied),
        BulkColumn<(Invoice Invoice, string? BillingKey)>.Long("amount_due", i => i.Invoice.AmountDue),
        BulkColumn<(Invoice Invoice, string? BillingKey)>.Long("amount_paid", i => i.Invoice.AmountPaid),
        BulkColumn<(Invoice Invoice, string? BillingKey)>.Long("payment_attempts", i => i.Invoice.PaymentAttempts),
        BulkColumn<(Invoice Invoice, string? BillingKey)>.NullableTimestamp("next_payment_attempt", i => i.Invoice.NextPaymentAttempt),
        BulkColumn<(Invoice Invoice, string? BillingKey)>.Timestamp("created_at", i => i.Invoice.CreatedAt),
        BulkColumn<(Invoice Invoice, string? BillingKey)>.NullableTimestamp("finalized_at", i => i.Invoice.FinalizedAt),
        BulkColumn<(Invoice Invoice, string? BillingKey)>.NullableTimestamp("paid_at", i => i.Invoice.PaidAt),
        BulkColumn<(Invoice Invoice, string? BillingKey)>.Text("billing_key", i => i.BillingKey),
        BulkColumn<(Invoice Invoice, string? BillingKey)>.Text("test_clock_id", i => i.Invoice.TestClockId),
    ];

    static readonly IReadOnlyList<BulkColumn<(string InvoiceId, InvoiceLine Line)>> LineColumns =
    [
        BulkColumn<(string InvoiceId, InvoiceLine Line)>.Text("invoice_id", l => l.InvoiceId),
        BulkColumn<(string InvoiceId, InvoiceLine Line)>.Int("position", l => l.Line.Position),
        BulkColumn<(string InvoiceId, InvoiceLine Line)>.Text("kind", l => EnumText.Snake(l.Line.Kind)),
        BulkColumn<(string InvoiceId, InvoiceLine Line)>.Text("description", l => l.Line.Description),
        BulkColumn<(string InvoiceId, InvoiceLine Line)>.Text("metric", l => l.Line.Metric),
        BulkColumn<(string InvoiceId, InvoiceLine Line)>.Text("detail", l => l.Line.Detail),
        BulkColumn<(string InvoiceId, InvoiceLine Line)>.Timestamp("period_start", l => l.Line.PeriodStart),
        BulkColumn<(string InvoiceId, InvoiceLine Line)>.Timestamp("period_end", l => l.Line.PeriodEnd),
        BulkColumn<(string InvoiceId, InvoiceLine Line)>.Text("quantity", l => l.Line.Quantity.ToString(CultureInfo.InvariantCulture)),
        BulkColumn<(string InvoiceId, InvoiceLine Line)>.Text("unit_amount", l => l.Line.UnitAmount?.ToString(CultureInfo.InvariantCulture)),
        BulkColumn<(string InvoiceId, InvoiceLine Line)>.Long("amount", l => l.Line.Amount),
    ];

    /// <summary>
    /// Issues drafts in the caller's transaction, finalized as <see cref="FinalizeInAsync"/> finalizes one: each with
    /// the next number, the customer's credit balance, then its wallets, applied after tax. The many customers with no
    /// wallet in the invoice's currency are issued a batch at a time: balances read in one query, a block of numbers
    /// taken at once, the invoices written finalized, their events and audit entries in one statement each. A draft
    /// whose billing key was billed already is skipped. Answers the invoices issued, by id. An invoice issued in a batch
    /// never existed as a draft outside its transaction: its audit entry is one <c>invoice.finalized</c> from nothing.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, Invoice>> IssueManyAsync(DbTransaction tx, IReadOnlyList<(Invoice Draft, string? BillingKey)> drafts, Actor actor)
    {
        var issued = new Dictionary<string, Invoice>(StringComparer.Ordinal);
        if (drafts.Count == 0) return issued;
        var connection = tx.Connection!;
        var keys = drafts.Select(d => d.BillingKey).OfType<string>().ToArray();
        var billed = keys.Length == 0 ? [] : (await connection.QueryAsync<string>(
            $"SELECT billing_key FROM invoices WHERE billing_key {database.AnyOf("keys")}", new { keys = database.ListOf(keys) }, tx)).ToHashSet(StringComparer.Ordinal);
        var customers = drafts.Select(d => d.Draft.CustomerId).Distinct().ToArray();
        var walleted = (await connection.QueryAsync<(string CustomerId, string Currency)>(
            $"SELECT DISTINCT customer_id, currency FROM wallets WHERE customer_id {database.AnyOf("customers")}", new { customers = database.ListOf(customers) }, tx)).ToHashSet();
        var fresh = drafts.Where(d => d.BillingKey is null || !billed.Contains(d.BillingKey)).ToList();
        var batched = fresh.Where(d => !walleted.Contains((d.Draft.CustomerId, d.Draft.Currency))).ToList();
        if (batched.Count > 0) await IssueBatchAsync(tx, batched, actor, issued);

        foreach (var (draft, key) in fresh.Where(d => walleted.Contains((d.Draft.CustomerId, d.Draft.Currency))))
        {
            if (!await InsertAsync(tx, draft, key)) continue;
            await CreatedInAsync(tx, draft, actor);
            issued[draft.Id] = await FinalizeInAsync(tx, draft, actor);
        }

        return issued;
    }

    async Task IssueBatchAsync(DbTransaction tx, List<(Invoice Draft, string? BillingKey)> batch, Actor actor, Dictionary<string, Invoice> issued)
    {
        var now = clock.Now;
        var balances = (await tx.Connection!.QueryAsync<(string CustomerId, string Currency, long Balance)>(
            $"""
            SELECT customer_id, currency, SUM(amount) FROM balance_transactions WHERE customer_id {database.AnyOf("customers")}
            GROUP BY customer_id, currency
            """, new { customers = database.ListOf(batch.Select(d => d.Draft.CustomerId).Distinct()) }, tx)).ToDictionary(b => (b.CustomerId, b.Currency), b => b.Balance);
        var first = await NextNumbersAsync(tx, Prefix, batch.Count);
        var finalized = new List<(Invoice Invoice, string? BillingKey)>(batch.Count);
        var uses = new List<CustomerBalance.Entry>();
        foreach (var (draft, key) in batch)
        {
            var number = $"{Prefix}-{first + finalized.Count:D6}";
            var balance = balances.GetValueOrDefault((draft.CustomerId, draft.Currency));
            var credits = Math.Clamp(balance, 0, Math.Max(0, draft.AmountDue));
            if (credits > 0)
            {
                balances[(draft.CustomerId, draft.Currency)] = balance - credits;
                uses.Add(new CustomerBalance.Entry(Ids.New(CustomerBalance.TransactionPrefix, time), draft.CustomerId, draft.Currency, -credits, $"Applied to invoice {number}", draft.Id, now));
            }

            finalized.Add((Finalized(draft, number, credits, now), key));
        }

        var inserted = await InsertManyAsync(tx, finalized);
        if (inserted.Count != finalized.Count) throw new InvalidOperationException("An invoice's billing key was taken while its subscription was locked.");
        await CustomerBalance.RecordManyAsync(tx, uses);
        var changes = new List<AuditChange>(finalized.Count);
        var messages = new List<OutboxMessage>(finalized.Count * 3);
        foreach (var ((invoice, _), (draft, _)) in finalized.Zip(batch))
        {
            // Created finalized: one entry, from nothing to the invoice issued (its events still say created, then finalized).
            changes.Add(new AuditChange("invoice.finalized", "invoice", invoice.Id, null, invoice, invoice.CustomerId));
            messages.Add(new OutboxMessage(Ids.New(Outbox.MessagePrefix, time), "invoice.created", draft.CustomerId, draft, draft.CreatedAt));
            messages.Add(new OutboxMessage(Ids.New(Outbox.MessagePrefix, time), "invoice.finalized", invoice.CustomerId, invoice, now));
            if (invoice.Status == InvoiceStatus.Paid) messages.Add(new OutboxMessage(Ids.New(Outbox.MessagePrefix, time), "invoice.paid", invoice.CustomerId, invoice, now));
            issued[invoice.Id] = invoice;
        }

        await audit.RecordManyAsync(tx, actor, changes);
        await Outbox.WriteManyAsync(tx, messages);
    }

    /// <summary>A draft finalized: its number, the credits applied after tax, and open, or paid when nothing is left due.</summary>
    static Invoice Finalized(Invoice draft, string number, long credits, DateTimeOffset now)
    {
        var due = draft.AmountDue - credits;
        var paid = due == 0;
        return draft with
        {
            Number = number,
            Status = paid ? InvoiceStatus.Paid : InvoiceStatus.Open,
            CreditsApplied = draft.CreditsApplied + credits,
            AmountDue = due,
            FinalizedAt = now,
            PaidAt = paid ? now : null,
        };
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
        var finalized = Finalized(draft, $"{Prefix}-{number:D6}", credits + fromWallets, now);
        var paid = finalized.Status == InvoiceStatus.Paid;
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
    internal static Task<long> NextNumberAsync(DbTransaction tx, string prefix) => NextNumbersAsync(tx, prefix, 1);

    /// <summary>The first of the next <paramref name="count"/> numbers of a gapless sequence, all taken in the caller's transaction.</summary>
    static async Task<long> NextNumbersAsync(DbTransaction tx, string prefix, int count)
    {
        await tx.Connection!.ExecuteAsync("INSERT INTO invoice_numbers (prefix, next_number) VALUES (@prefix, 1) ON CONFLICT (prefix) DO NOTHING", new { prefix }, tx);
        return await tx.Connection!.ExecuteScalarAsync<long>(
            "UPDATE invoice_numbers SET next_number = next_number + @count WHERE prefix = @prefix RETURNING next_number - @count", new { prefix, count }, tx);
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

    /// <summary>Voids an open or uncollectible invoice, unless a rule of what it billed refuses (<see cref="IInvoiceVoidRule"/>).</summary>
    public Task<Result<Invoice>> VoidAsync(string id, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync<Invoice>(async (connection, tx) =>
        {
            if (await FindAsync(tx, id, forUpdate: false) is { Status: InvoiceStatus.Open or InvoiceStatus.Uncollectible } unlocked)
            {
                foreach (var rule in voidRules)
                {
                    if (await rule.RefusesAsync(tx, unlocked) is { } refused) return refused;
                }
            }

            return await TransitionInAsync(tx, id, [InvoiceStatus.Open, InvoiceStatus.Uncollectible], "void", (tx, invoice) => VoidInAsync(tx, invoice, actor));
        }, ct);

    /// <summary>Voids an invoice in the caller's transaction (the caller checked it may be); dunning ends.</summary>
    internal async Task<Invoice> VoidInAsync(DbTransaction tx, Invoice invoice, Actor actor)
    {
        var now = clock.Now;
        var voided = invoice with { Status = InvoiceStatus.Void, VoidedAt = now, NextPaymentAttempt = null };
        await tx.Connection!.ExecuteAsync("UPDATE invoices SET status = 'void', voided_at = @now, next_payment_attempt = NULL WHERE id = @Id", new { now, invoice.Id }, tx);
        await RecordAsync(tx, actor, "invoice.voided", invoice, voided, now);
        return voided;
    }

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
        database.InTransactionAsync<Invoice>((connection, tx) => TransitionInAsync(tx, id, from, verb, change), ct);

    async Task<Result<Invoice>> TransitionInAsync(DbTransaction tx, string id, InvoiceStatus[] from, string verb, Func<DbTransaction, Invoice, Task<Invoice>> change)
    {
        var invoice = await FindAsync(tx, id, forUpdate: true);
        if (invoice is null) return ApiError.NotFound("invoice", id);
        Clocks.BillingClock.Enter(await Clocks.BillingClock.OfCustomerAsync(tx, invoice.CustomerId));
        if (!from.Contains(invoice.Status))
        {
            return ApiError.Conflict("invoice_state", $"Invoice {id} is {EnumText.Snake(invoice.Status)}; only {string.Join(" or ", from.Select(EnumText.Snake))} invoices can {verb}.");
        }

        return await change(tx, invoice);
    }

    public async Task<Invoice?> GetAsync(string id, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await Database.BeginReadAsync(connection, ct);
        return await FindAsync(tx, id, forUpdate: false);
    }

    /// <summary>Invoices newest first, by customer, subscription and status; <paramref name="finalizedOnly"/> leaves drafts out (a customer sees none).</summary>
    public async Task<Page<Invoice>> ListAsync(string? customerId, string? subscriptionId, InvoiceStatus? status, PageRequest page, bool finalizedOnly, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await Database.BeginReadAsync(connection, ct);
        var rows = (await connection.QueryAsync<Row>(
            $"""
            SELECT {Columns} FROM invoices
            WHERE (@Cursor IS NULL OR id < @Cursor) AND (@customerId IS NULL OR customer_id = @customerId)
              AND (@subscriptionId IS NULL OR subscription_id = @subscriptionId) AND (@status IS NULL OR status = @status)
              AND (@excluded IS NULL OR status <> @excluded)
            ORDER BY id DESC
            LIMIT @Take
            """,
            new { page.Cursor, customerId, subscriptionId, status = status is { } s ? EnumText.Snake(s) : null, excluded = finalizedOnly ? "draft" : null, Take = page.Size + 1 }, tx)).ToList();
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
        public string? TestClockId { get; init; }

        public Invoice ToInvoice(IReadOnlyList<InvoiceLine> lines) => new()
        {
            Id = Id, Number = Number, CustomerId = CustomerId, SubscriptionId = SubscriptionId, Status = EnumText.Parse<InvoiceStatus>(Status),
            BillingReason = EnumText.Parse<BillingReason>(BillingReason), Currency = Currency, PeriodStart = PeriodStart, PeriodEnd = PeriodEnd,
            Lines = lines, Subtotal = Subtotal, Discount = Discount, Tax = Tax, Taxes = ApiJson.Deserialize<List<TaxLine>>(Taxes) ?? [], TaxNote = TaxNote, DiscountCode = DiscountCode, Total = Total,
            CreditsApplied = CreditsApplied, AmountDue = AmountDue, AmountPaid = AmountPaid,
            PaymentAttempts = (int)PaymentAttempts, NextPaymentAttempt = NextPaymentAttempt, CreatedAt = CreatedAt, FinalizedAt = FinalizedAt,
            PaidAt = PaidAt, VoidedAt = VoidedAt, MarkedUncollectibleAt = MarkedUncollectibleAt, TestClockId = TestClockId,
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
