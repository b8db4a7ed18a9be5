using Tollgate.Billing.Invoices;

namespace Tollgate.Tests.Billing;

public class InvoiceMathTests
{
    [Fact]
    public void Lines_then_discounts_then_tax_then_credits_in_that_order()
    {
        // $100 + $50, 10% off, 18% GST exclusive, $20 of credit.
        var totals = InvoiceMath.Total([10_000, 5_000], [new InvoiceDiscount("LAUNCH10", PercentOff: 10)], [new AppliedTaxRate("IGST", 18, false)], 2_000);

        totals.ShouldBe(totals with { Subtotal = 15_000, Discount = 1_500, Tax = 2_430, Total = 15_930, CreditsApplied = 2_000, AmountDue = 13_930 });
        totals.Taxes.ShouldHaveSingleItem().Taxable.ShouldBe(13_500);
    }

    [Fact]
    public void Each_rate_is_computed_on_the_discounted_subtotal_and_rounded_once()
    {
        // CGST 9% + SGST 9% on 1,111: 99.99 each → 100 + 100, not 18% of 1,111 = 199.98 → 200 split later.
        var totals = InvoiceMath.Total([1_111], [], [new AppliedTaxRate("CGST", 9, false), new AppliedTaxRate("SGST", 9, false)], 0);

        totals.Taxes.Select(t => t.Amount).ShouldBe([100, 100]);
        totals.Total.ShouldBe(1_311);
    }

    [Fact]
    public void An_inclusive_rate_is_the_part_of_the_price_it_makes_up_and_adds_nothing()
    {
        // €119 including 19% VAT: €19 of tax, total still €119.
        var totals = InvoiceMath.Total([11_900], [], [new AppliedTaxRate("VAT", 19, true)], 0);

        totals.Tax.ShouldBe(1_900);
        totals.Total.ShouldBe(11_900);
    }

    [Fact]
    public void Discounts_never_take_more_than_the_subtotal_and_credits_never_more_than_the_total()
    {
        var totals = InvoiceMath.Total([1_000], [new InvoiceDiscount("BIG", AmountOff: 800), new InvoiceDiscount("BIGGER", AmountOff: 800)], [], 5_000);

        totals.Discount.ShouldBe(1_000);
        totals.Total.ShouldBe(0);
        totals.CreditsApplied.ShouldBe(0);
        totals.AmountDue.ShouldBe(0);
    }

    [Fact]
    public void A_credit_is_what_was_paid_for_what_it_gives_back_after_a_percent_off_and_with_its_tax()
    {
        // $10 given back of charges billed half off with 10% VAT: $5.50 was paid for them. An amount off does not apply to a credit.
        var totals = InvoiceMath.Total([-1_000], [new InvoiceDiscount("HALF", PercentOff: 50), new InvoiceDiscount("FIVE", AmountOff: 500)], [new AppliedTaxRate("VAT", 10, false)], 0);

        (totals.Subtotal, totals.Discount, totals.Tax, totals.Total, totals.AmountDue).ShouldBe((-1_000L, -500L, -50L, -550L, -550L));
    }

    [Fact]
    public void Totals_hold_together_on_random_invoices()
    {
        var random = new Random(61);
        for (var round = 0; round < 5_000; round++)
        {
            var lines = Enumerable.Range(0, random.Next(0, 8)).Select(_ => random.NextInt64(0, 10_000_000)).ToList();
            var discounts = random.Next(3) switch
            {
                0 => [],
                1 => [new InvoiceDiscount("P", PercentOff: random.Next(0, 101))],
                _ => new List<InvoiceDiscount> { new("A", AmountOff: random.NextInt64(0, 5_000_000)) },
            };
            var inclusive = random.Next(2) == 0;
            var rates = Enumerable.Range(0, random.Next(0, 3)).Select(i => new AppliedTaxRate($"T{i}", random.Next(0, 2501) / 100m, inclusive)).ToList();

            var totals = InvoiceMath.Total(lines, discounts, rates, random.NextInt64(0, 10_000_000));

            totals.Subtotal.ShouldBe(lines.Sum());
            totals.Discount.ShouldBeInRange(0, totals.Subtotal);
            totals.Taxes.ShouldAllBe(t => t.Amount >= 0 && t.Taxable == totals.Subtotal - totals.Discount);
            totals.Total.ShouldBe(totals.Subtotal - totals.Discount + (inclusive ? 0 : totals.Tax));
            totals.AmountDue.ShouldBe(totals.Total - totals.CreditsApplied);
            totals.AmountDue.ShouldBeGreaterThanOrEqualTo(0);
            if (inclusive) totals.Tax.ShouldBeLessThanOrEqualTo(totals.Total);
        }
    }
}
