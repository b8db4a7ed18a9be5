using Tollgate.Billing.CreditNotes;
using Tollgate.Billing.Invoices;

namespace Tollgate.Tests.Billing;

public class CreditNoteRulesTests
{
    static Invoice Invoice(long[] lines, decimal taxRate = 18, long discount = 0, InvoiceStatus status = InvoiceStatus.Open)
    {
        var totals = InvoiceMath.Total(lines, discount > 0 ? [new InvoiceDiscount("D", AmountOff: discount)] : [], taxRate > 0 ? [new AppliedTaxRate("GST", taxRate, false)] : [], 0);
        var at = DateTimeOffset.UnixEpoch;
        return new Invoice
        {
            Id = "inv_1", CustomerId = "cus_1", Status = status, BillingReason = BillingReason.SubscriptionCycle, Currency = "INR", PeriodStart = at, PeriodEnd = at,
            Lines = [.. lines.Select((a, i) => new InvoiceLine(i + 1, InvoiceLineKind.Subscription, "x", at, at, 1, a, a))],
            Subtotal = totals.Subtotal, Discount = totals.Discount, Tax = totals.Tax, Taxes = totals.Taxes, Total = totals.Total,
            CreditsApplied = 0, AmountDue = totals.AmountDue, AmountPaid = 0, CreatedAt = at,
        };
    }

    [Fact]
    public void A_line_is_credited_with_its_share_of_the_tax_and_never_beyond_what_is_left_of_it()
    {
        var invoice = Invoice([10_000, 5_000]); // tax 2,700

        var first = CreditNoteRules.Credit(invoice, new CreateCreditNoteRequest("inv_1", [new CreditNoteLineRequest(1, 4_000)]), new Dictionary<int, long>(), 0, 0);
        var beyond = CreditNoteRules.Credit(invoice, new CreateCreditNoteRequest("inv_1", [new CreditNoteLineRequest(1, 6_001)]), new Dictionary<int, long> { [1] = 4_000 }, 720, 4_720);

        first.Value.ShouldBe(first.Value with { Subtotal = 4_000, Tax = 720 });
        beyond.Error!.Errors!["lines[0].amount"].ShouldHaveSingleItem().ShouldContain("6000 left");
    }

    [Fact]
    public void An_amount_is_spread_over_the_lines_in_order_and_a_void_or_draft_invoice_is_not_credited()
    {
        var invoice = Invoice([1_000, 2_000], taxRate: 0);

        var spread = CreditNoteRules.Credit(invoice, new CreateCreditNoteRequest("inv_1", Amount: 1_500), new Dictionary<int, long> { [1] = 400 }, 0, 400);

        spread.Value.Lines.ShouldBe([new CreditNoteLine(1, 600), new CreditNoteLine(2, 900)]);
        CreditNoteRules.Credit(Invoice([1_000], status: InvoiceStatus.Void), new CreateCreditNoteRequest("inv_1", Amount: 1), new Dictionary<int, long>(), 0, 0)
            .Error!.Code.ShouldBe("invoice_state");
    }

    [Fact]
    public void Credit_notes_never_add_up_to_more_than_the_invoice_on_random_invoices()
    {
        var random = new Random(41);
        for (var round = 0; round < 2_000; round++)
        {
            var lines = Enumerable.Range(0, random.Next(1, 5)).Select(_ => random.NextInt64(1, 100_000)).ToArray();
            var invoice = Invoice(lines, random.Next(0, 30), random.Next(3) == 0 ? random.NextInt64(0, lines.Sum()) : 0);
            var byLine = new Dictionary<int, long>();
            long tax = 0, total = 0;
            for (var note = 0; note < 6; note++)
            {
                var request = random.Next(2) == 0
                    ? new CreateCreditNoteRequest("inv_1", Amount: random.NextInt64(1, lines.Sum() + 2))
                    : new CreateCreditNoteRequest("inv_1", [new CreditNoteLineRequest(random.Next(1, lines.Length + 1), random.NextInt64(1, 100_000))]);
                var credit = CreditNoteRules.Credit(invoice, request, byLine, tax, total);
                if (!credit.IsOk) continue;
                foreach (var line in credit.Value.Lines) byLine[line.InvoiceLine] = byLine.GetValueOrDefault(line.InvoiceLine) + line.Amount;
                tax += credit.Value.Tax;
                total += credit.Value.Subtotal + credit.Value.Tax;
                credit.Value.Lines.ShouldAllBe(l => l.Amount > 0);
            }

            total.ShouldBeLessThanOrEqualTo(invoice.Total);
            tax.ShouldBeLessThanOrEqualTo(invoice.Tax);
            foreach (var (line, credited) in byLine) credited.ShouldBeLessThanOrEqualTo(lines[line - 1]);
        }
    }
}
