using System.Data.Common;
using Dapper;
using Tollgate.Audit;
using Tollgate.Billing.Balances;
using Tollgate.Billing.Invoices;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Billing.CreditNotes;

/// <summary>
/// Credit notes, each in one transaction with the invoice it credits (locked, so two notes at once cannot both take
/// what is left), the amount it takes off what the invoice has due, the rest credited to the customer's balance, its
/// number from a gapless sequence of its own, its audit entry and its <c>credit_note.created</c> event.
/// </summary>
public sealed class CreditNoteStore(Database database, InvoiceStore invoices, AuditLog audit, Clocks.BillingClock clock, TimeProvider time)
{
    public const string IdPrefix = "cn";

    public Task<Result<CreditNote>> CreateAsync(CreateCreditNoteRequest request, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync((connection, tx) => CreateInAsync(tx, request, actor, refund: false), ct);

    /// <summary>
    /// A credit note in the caller's transaction. With <paramref name="refund"/>, for a payment refunded: its total was
    /// paid back to the customer's payment method, so none of it is applied to the invoice or to the balance.
    /// </summary>
    internal async Task<Result<CreditNote>> CreateInAsync(DbTransaction tx, CreateCreditNoteRequest request, Actor actor, bool refund)
    {
        var connection = tx.Connection!;
        var invoice = request.InvoiceId is null ? null : await invoices.FindAsync(tx, request.InvoiceId, forUpdate: true);
        if (invoice is null) return ApiError.Invalid("invoice_id", $"There is no invoice '{request.InvoiceId}'.");
        var byLine = (await connection.QueryAsync<(long Line, long Amount)>(
            """
            SELECT l.invoice_line, SUM(l.amount) FROM credit_note_lines l JOIN credit_notes n ON n.id = l.credit_note_id
            WHERE n.invoice_id = @Id GROUP BY l.invoice_line
            """, invoice, tx)).ToDictionary(r => (int)r.Line, r => r.Amount);
        var (creditedTax, creditedTotal) = await connection.QuerySingleAsync<(long, long)>(
            "SELECT COALESCE(SUM(tax), 0), COALESCE(SUM(total), 0) FROM credit_notes WHERE invoice_id = @Id", invoice, tx);
        var credit = CreditNoteRules.Credit(invoice, request, byLine, creditedTax, creditedTotal);
        if (!credit.IsOk) return credit.Error;

        Clocks.BillingClock.Enter(await Clocks.BillingClock.OfCustomerAsync(tx, invoice.CustomerId));
        var now = clock.Now;
        var (lines, subtotal, tax) = credit.Value;
        var total = subtotal + tax;
        var open = invoice.Status is InvoiceStatus.Open or InvoiceStatus.Uncollectible;
        var applied = open && !refund ? Math.Min(total, invoice.AmountDue) : 0;
        var prefix = invoices.NumberPrefix + "CN";
        var note = new CreditNote(Ids.New(IdPrefix, time), $"{prefix}-{await InvoiceStore.NextNumberAsync(tx, prefix):D6}", invoice.Id, invoice.CustomerId,
            invoice.Currency, request.Reason, lines, subtotal, tax, total, applied, refund ? 0 : total - applied, now) { Refunded = refund ? total : 0 };
        await connection.ExecuteAsync(
            """
            INSERT INTO credit_notes (id, number, invoice_id, customer_id, currency, reason, subtotal, tax, total, applied_to_invoice, credited_to_balance, refunded, created_at)
            VALUES (@Id, @Number, @InvoiceId, @CustomerId, @Currency, @Reason, @Subtotal, @Tax, @Total, @AppliedToInvoice, @CreditedToBalance, @Refunded, @CreatedAt)
            """, note, tx);
        await connection.ExecuteAsync(
            "INSERT INTO credit_note_lines (credit_note_id, invoice_line, amount) VALUES (@id, @InvoiceLine, @Amount)",
            lines.Select(l => new { id = note.Id, l.InvoiceLine, l.Amount }), tx);
        if (applied > 0)
        {
            var due = invoice.AmountDue - applied;
            await connection.ExecuteAsync(
                "UPDATE invoices SET amount_due = @due, status = CASE WHEN @due = 0 THEN 'paid' ELSE status END, paid_at = CASE WHEN @due = 0 THEN @now ELSE paid_at END WHERE id = @Id",
                new { due, now, invoice.Id }, tx);
        }

        if (note.CreditedToBalance > 0)
        {
            await CustomerBalance.RecordAsync(tx, Ids.New(CustomerBalance.TransactionPrefix, time), invoice.CustomerId, invoice.Currency, note.CreditedToBalance,
                $"Credit note {note.Number}", invoice.Id, now);
        }

        await audit.RecordAsync(tx, actor, "credit_note.created", "credit_note", note.Id, null, note, invoice.CustomerId);
        await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "credit_note.created", invoice.CustomerId, note, now);
        return note;
    }

    public async Task<IReadOnlyList<CreditNote>> ListAsync(string? invoiceId, string? customerId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var notes = (await connection.QueryAsync<Row>(
            """
            SELECT id, number, invoice_id, customer_id, currency, reason, subtotal, tax, total, applied_to_invoice, credited_to_balance, refunded, created_at FROM credit_notes
            WHERE (@invoiceId IS NULL OR invoice_id = @invoiceId) AND (@customerId IS NULL OR customer_id = @customerId)
            ORDER BY id DESC LIMIT 1000
            """, new { invoiceId, customerId })).ToList();
        var result = new List<CreditNote>(notes.Count);
        foreach (var row in notes)
        {
            var lines = await connection.QueryAsync<(long Line, long Amount)>(
                "SELECT invoice_line, amount FROM credit_note_lines WHERE credit_note_id = @Id ORDER BY invoice_line", row);
            result.Add(row.ToNote([.. lines.Select(l => new CreditNoteLine((int)l.Line, l.Amount))]));
        }

        return result;
    }

    sealed class Row
    {
        public string Id { get; init; } = "";
        public string Number { get; init; } = "";
        public string InvoiceId { get; init; } = "";
        public string CustomerId { get; init; } = "";
        public string Currency { get; init; } = "";
        public string? Reason { get; init; }
        public long Subtotal { get; init; }
        public long Tax { get; init; }
        public long Total { get; init; }
        public long AppliedToInvoice { get; init; }
        public long CreditedToBalance { get; init; }
        public long Refunded { get; init; }
        public DateTimeOffset CreatedAt { get; init; }

        public CreditNote ToNote(IReadOnlyList<CreditNoteLine> lines) =>
            new(Id, Number, InvoiceId, CustomerId, Currency, Reason, lines, Subtotal, Tax, Total, AppliedToInvoice, CreditedToBalance, CreatedAt) { Refunded = Refunded };
    }
}
