using System.ComponentModel.DataAnnotations;
using Tollgate.Billing.Invoices;
using Tollgate.Common;

namespace Tollgate.Billing.CreditNotes;

/// <summary>How much of one invoice line a credit note credits, before tax.</summary>
public sealed record CreditNoteLine(int InvoiceLine, long Amount);

/// <summary>
/// A credit note against a finalized invoice: line amounts credited before tax, the tax on them, and where the credit
/// went: off what the invoice still has due, and the rest to the customer's balance.
/// </summary>
public sealed record CreditNote(
    string Id, string Number, string InvoiceId, string CustomerId, string Currency, string? Reason, IReadOnlyList<CreditNoteLine> Lines,
    long Subtotal, long Tax, long Total, long AppliedToInvoice, long CreditedToBalance, DateTimeOffset CreatedAt)
{
    /// <summary>What of the total was paid back to the customer's payment method: all of it for a note made by a refund, else nothing.</summary>
    public long Refunded { get; init; }
}

/// <summary><c>POST /api/v1/credit-notes</c>: credit some lines of an invoice (by position), or an amount spread over them.</summary>
public sealed record CreateCreditNoteRequest(
    [property: Required] string? InvoiceId, IReadOnlyList<CreditNoteLineRequest>? Lines = null, long? Amount = null, string? Reason = null);

public sealed record CreditNoteLineRequest([property: Required] int? Line, [property: Required] long? Amount);

/// <summary>
/// The arithmetic of a credit note, purely. A line is never credited beyond what is left of it after earlier notes; the
/// invoice as a whole never beyond its total. Tax is credited in proportion to the credited part of the taxable amount,
/// rounded once per rate, and never beyond the tax left to credit. An <c>amount</c> alone is spread over the lines in
/// order, each up to what is left of it. With its tax, a note never takes the invoice past its total (after discounts).
/// </summary>
public static class CreditNoteRules
{
    public static Result<(IReadOnlyList<CreditNoteLine> Lines, long Subtotal, long Tax)> Credit(
        Invoice invoice, CreateCreditNoteRequest request, IReadOnlyDictionary<int, long> creditedByLine, long creditedTax, long creditedTotal)
    {
        if (invoice.Status is InvoiceStatus.Draft or InvoiceStatus.Void)
        {
            return new ApiError("invoice_state", StatusCodes.Status409Conflict, $"Invoice {invoice.Id} is {EnumText.Snake(invoice.Status)}; only a finalized invoice can be credited.");
        }

        long Left(InvoiceLine line) => Math.Max(0, line.Amount - creditedByLine.GetValueOrDefault(line.Position));
        var check = new Validation();
        var lines = new List<CreditNoteLine>();
        if ((request.Lines is null) == (request.Amount is null)) check.Add("lines", "give lines or an amount, one of them.");
        if (request.Reason is { Length: > 500 }) check.Add("reason", "must be at most 500 characters.");
        if (request.Lines is { } asked)
        {
            for (var i = 0; i < asked.Count; i++)
            {
                var line = invoice.Lines.FirstOrDefault(l => l.Position == asked[i].Line);
                if (line is null) check.Add($"lines[{i}].line", $"invoice {invoice.Id} has no line {asked[i].Line}.");
                else if (asked[i].Amount is not { } amount || amount <= 0) check.Add($"lines[{i}].amount", "must be more than 0.");
                else if (asked.Take(i).Any(a => a.Line == asked[i].Line)) check.Add($"lines[{i}].line", "is listed twice.");
                else if (amount > Left(line))
                {
                    check.Add($"lines[{i}].amount", $"is more than the {Left(line)} left to credit on line {line.Position}.");
                }
                else lines.Add(new CreditNoteLine(line.Position, amount));
            }
        }
        else if (request.Amount is { } total)
        {
            var available = invoice.Lines.Sum(Left);
            if (total <= 0) check.Add("amount", "must be more than 0.");
            else if (total > available) check.Add("amount", $"is more than the {available} left to credit before tax.");
            else
            {
                foreach (var line in invoice.Lines)
                {
                    var take = Math.Min(total, Left(line));
                    if (take <= 0) continue;
                    lines.Add(new CreditNoteLine(line.Position, take));
                    total -= take;
                }
            }
        }

        if (check.Failed) return check.ToError();
        var subtotal = lines.Sum(l => l.Amount);
        var taxable = invoice.Subtotal - invoice.Discount;
        var exclusive = invoice.Taxes.Where(t => !t.Inclusive).Sum(t => t.Amount);
        var tax = taxable <= 0 ? 0 : invoice.Taxes.Where(t => !t.Inclusive).Sum(t => MinorUnits.Round((decimal)t.Amount * subtotal / taxable));
        tax = Math.Clamp(tax, 0, Math.Max(0, exclusive - creditedTax));
        var left = invoice.Total - creditedTotal;
        if (checked(subtotal + tax) > left)
        {
            return new ApiError("credit_exceeds_invoice", StatusCodes.Status400BadRequest,
                $"Crediting {subtotal + tax} would exceed the {left} left to credit on invoice {invoice.Id} (its total, after discounts and earlier credit notes).");
        }

        return (lines, subtotal, tax);
    }
}
