using CsCheck;
using Tollgate.Billing.CreditNotes;
using Tollgate.Billing.Invoices;
using Tollgate.Billing.Periods;
using Tollgate.Billing.Rating;
using Tollgate.Catalog;

namespace Tollgate.Tests.Billing;

/// <summary>
/// Properties over random invoices, charges, changes and credit notes (CsCheck; a failure prints the seed that
/// reproduces it): lines sum to the subtotal, nothing but a credit goes below zero, credit notes never exceed the
/// invoice, proration never credits or charges more than a period's price.
/// </summary>
public sealed class BillingPropertyTests
{
    static readonly Gen<AppliedTaxRate> TaxRate = Gen.Select(Gen.Int[0, 3000], Gen.Bool, (basis, inclusive) => new AppliedTaxRate("T", basis / 100m, inclusive));

    static readonly Gen<InvoiceDiscount> Discount = Gen.OneOf(
        Gen.Int[1, 10_000].Select(p => new InvoiceDiscount("P", PercentOff: p / 100m)),
        Gen.Long[1, 10_000_000_000].Select(a => new InvoiceDiscount("A", AmountOff: a)));

    /// <summary>Lines of an invoice: charges, and now and then a proration credit below zero.</summary>
    static readonly Gen<long[]> Lines = Gen.Select(Gen.Long[0, 1_000_000_000].Array[0, 12], Gen.Long[-1_000_000_000, 0].Array[0, 2], (charges, credits) => (long[])[.. charges, .. credits]);

    [Fact]
    public void An_invoice_adds_up_in_its_one_order_owes_nothing_below_zero_and_a_credit_is_discounted_as_a_charge()
    {
        Gen.Select(Lines, Discount.Array[0, 2], TaxRate.Array[0, 3], Gen.Long[0, 10_000_000_000]).Sample((lines, discounts, taxes, credit) =>
        {
            var totals = InvoiceMath.Total(lines, discounts, taxes, credit);
            totals.Subtotal.ShouldBe(lines.Sum());
            // A credit (below zero) is taken down by percent discounts only, never past zero: what was paid for what it gives back.
            if (totals.Subtotal >= 0) totals.Discount.ShouldBeInRange(0, totals.Subtotal);
            else if (discounts.All(d => d.PercentOff is null)) totals.Discount.ShouldBe(0);
            else totals.Discount.ShouldBeInRange(totals.Subtotal, 0);
            var exclusive = totals.Taxes.Where(t => !t.Inclusive).Sum(t => t.Amount);
            totals.Total.ShouldBe(totals.Subtotal - totals.Discount + exclusive);
            totals.Tax.ShouldBe(totals.Taxes.Sum(t => t.Amount));
            totals.CreditsApplied.ShouldBeInRange(0, Math.Max(0, totals.Total));
            totals.AmountDue.ShouldBe(totals.Total - totals.CreditsApplied);
            if (totals.Subtotal >= 0)
            {
                totals.Taxes.ShouldAllBe(t => t.Amount >= 0);
                totals.AmountDue.ShouldBeGreaterThanOrEqualTo(0);
                totals.Taxes.Where(t => t.Inclusive).Sum(t => t.Amount).ShouldBeLessThanOrEqualTo(totals.Subtotal - totals.Discount + 1); // one rounding per rate
            }
        });
    }

    static readonly Gen<DateTimeOffset> Instant = Gen.Long[new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks, new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks]
        .Select(t => new DateTimeOffset(t, TimeSpan.Zero));

    [Fact]
    public void Proration_never_credits_or_charges_more_than_a_periods_price_and_a_change_to_the_same_price_nets_nothing()
    {
        Gen.Select(Instant, Gen.Bool, Gen.Double[0, 1], Gen.Long[0, 10_000_000], Gen.Long[1, 1_000], Gen.Long[0, 10_000_000], Gen.Long[1, 1_000])
            .Sample((anchor, yearly, where, oldPrice, oldQuantity, newPrice, newQuantity) =>
            {
                var period = BillingPeriod.Numbered(anchor, yearly ? BillingInterval.Year : BillingInterval.Month, 0);
                var at = period.Start + TimeSpan.FromTicks((long)(period.Length.Ticks * where));
                var lines = Proration.For(period, at, oldPrice, oldQuantity, newPrice, newQuantity, "old", "new");
                var credit = lines.Where(l => l.Kind == ProrationKind.UnusedTime).Sum(l => l.Amount);
                var charge = lines.Where(l => l.Kind == ProrationKind.RemainingTime).Sum(l => l.Amount);
                credit.ShouldBeInRange(-oldPrice * oldQuantity, 0);
                charge.ShouldBeInRange(0, newPrice * newQuantity);
                Proration.For(period, at, oldPrice, oldQuantity, oldPrice, oldQuantity, "a", "a").Sum(l => l.Amount).ShouldBe(0);
                lines.ShouldAllBe(l => l.From == at && l.To == period.End);
            });
    }

    /// <summary>Tiers with increasing bounds, the last one open, priced per unit with an occasional flat fee.</summary>
    static readonly Gen<IReadOnlyList<Tier>> Tiers = Gen.Select(Gen.Long[1, 1_000].Array[0, 4], Gen.Int[0, 1_000].Array[5], Gen.Long[0, 5_000].Array[5], (widths, prices, flats) =>
    {
        var tiers = new List<Tier>();
        long bound = 0;
        for (var i = 0; i < widths.Length; i++)
        {
            bound += widths[i];
            tiers.Add(new Tier(bound, prices[i] / 10m, flats[i] % 3 == 0 ? flats[i] : null));
        }

        tiers.Add(new Tier(null, prices[4] / 10m));
        return (IReadOnlyList<Tier>)tiers;
    });

    [Fact]
    public void Graduated_per_unit_and_package_charges_never_fall_as_usage_grows_and_their_lines_sum_to_the_charge()
    {
        var models = Gen.Int[0, 3].Select(i => new[] { ChargeModel.Graduated, ChargeModel.PerUnit, ChargeModel.Package, ChargeModel.Volume }[i]);
        Gen.Select(models, Tiers, Gen.Long[0, 500], Gen.Long[1, 100], Gen.Long[0, 5_000].Array[2]).Sample((model, tiers, free, size, quantities) =>
        {
            var properties = new ChargeProperties(UnitAmount: tiers[0].UnitAmount, Tiers: tiers, PackageSize: size, PackageAmount: 250, FreeUnits: free);
            var (less, more) = (Math.Min(quantities[0], quantities[1]), Math.Max(quantities[0], quantities[1]));
            var low = ChargeRater.Rate(model, properties, new ChargeUsage(less));
            var high = ChargeRater.Rate(model, properties, new ChargeUsage(more));
            high.Lines.ShouldAllBe(l => l.Amount >= 0);
            high.Amount.ShouldBe(high.Lines.Sum(l => l.Amount));
            if (model != ChargeModel.Volume) low.Amount.ShouldBeLessThanOrEqualTo(high.Amount); // a volume price may fall at a tier's edge
            if (more <= free) high.Amount.ShouldBe(0);
        });
    }

    [Fact]
    public void Credit_notes_in_any_order_never_credit_a_line_or_the_invoice_beyond_what_it_holds()
    {
        var requests = Gen.Select(Gen.Int[1, 4], Gen.Long[1, 6_000], Gen.Bool, (line, amount, spread) => (line, amount, spread)).Array[1, 8];
        Gen.Select(Gen.Long[0, 5_000].Array[1, 4], Gen.Int[0, 2800], Gen.Long[0, 2_000], requests).Sample((amounts, basis, discount, asks) =>
        {
            var invoice = InvoiceOf(amounts, basis / 100m, discount);
            var byLine = new Dictionary<int, long>();
            long tax = 0, total = 0;
            foreach (var (line, amount, spread) in asks)
            {
                var request = spread ? new CreateCreditNoteRequest(invoice.Id, Amount: amount) : new CreateCreditNoteRequest(invoice.Id, [new CreditNoteLineRequest(line, amount)]);
                var note = CreditNoteRules.Credit(invoice, request, byLine, tax, total);
                if (!note.IsOk) continue;
                foreach (var credited in note.Value.Lines) byLine[credited.InvoiceLine] = byLine.GetValueOrDefault(credited.InvoiceLine) + credited.Amount;
                tax += note.Value.Tax;
                total += note.Value.Subtotal + note.Value.Tax;
            }

            invoice.Lines.ShouldAllBe(l => byLine.GetValueOrDefault(l.Position) <= Math.Max(0, l.Amount));
            total.ShouldBeLessThanOrEqualTo(Math.Max(0, invoice.Total));
            tax.ShouldBeLessThanOrEqualTo(invoice.Taxes.Where(t => !t.Inclusive).Sum(t => t.Amount));
        });
    }

    static Invoice InvoiceOf(long[] lines, decimal taxRate, long discount)
    {
        var totals = InvoiceMath.Total(lines, discount > 0 ? [new InvoiceDiscount("D", AmountOff: discount)] : [], [new AppliedTaxRate("GST", taxRate, false)], 0);
        var at = DateTimeOffset.UnixEpoch;
        return new Invoice
        {
            Id = "inv_1", CustomerId = "cus_1", Status = InvoiceStatus.Open, BillingReason = BillingReason.SubscriptionCycle, Currency = "INR", PeriodStart = at, PeriodEnd = at,
            Lines = [.. lines.Select((a, i) => new InvoiceLine(i + 1, InvoiceLineKind.Subscription, "x", at, at, 1, a, a))],
            Subtotal = totals.Subtotal, Discount = totals.Discount, Tax = totals.Tax, Taxes = totals.Taxes, Total = totals.Total,
            CreditsApplied = 0, AmountDue = totals.AmountDue, AmountPaid = 0, CreatedAt = at,
        };
    }
}
