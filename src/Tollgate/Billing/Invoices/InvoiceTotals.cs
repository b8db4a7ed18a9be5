namespace Tollgate.Billing.Invoices;

/// <summary>A tax rate as it applies to an invoice: its code (<c>CGST</c>, <c>VAT</c>), its percent, and whether prices include it.</summary>
public sealed record AppliedTaxRate(string Code, decimal Percentage, bool Inclusive);

/// <summary>A discount before tax: a percent of the discountable subtotal, or an amount in minor units, not both.</summary>
public sealed record InvoiceDiscount(string Code, decimal? PercentOff = null, long? AmountOff = null);

/// <summary>One tax rate's share of an invoice: the taxable amount it was computed on and the tax, rounded once.</summary>
public sealed record TaxLine(string Code, decimal Percentage, bool Inclusive, long Taxable, long Amount);

/// <summary>
/// An invoice's amounts in the one order every invoice follows: lines → discounts → tax → total → credits → amount due.
/// All in minor units of the invoice's currency.
/// </summary>
public sealed record InvoiceTotals(long Subtotal, long Discount, IReadOnlyList<TaxLine> Taxes, long Tax, long Total, long CreditsApplied, long AmountDue);

/// <summary>
/// The invoice arithmetic, in one place (docs/billing.md, "How an invoice adds up"):
/// <list type="number">
/// <item>the subtotal is the sum of the lines, each already rounded (<see cref="MinorUnits"/>);</item>
/// <item>discounts come off the subtotal before tax, a percent rounded once, never more than what is left (a credit,
/// a subtotal below zero, is taken down by percent discounts only, and its tax is negative);</item>
/// <item>each tax rate is computed on the discounted subtotal and rounded once; an inclusive rate is the part of that
/// amount the rate makes up (<c>amount × r / (100 + Σ inclusive r)</c>) and adds nothing to the total, an exclusive
/// rate is added;</item>
/// <item>credits (credit balance, wallets) are applied after tax, never beyond the total.</item>
/// </list>
/// </summary>
public static class InvoiceMath
{
    public static InvoiceTotals Total(IReadOnlyList<long> lineAmounts, IReadOnlyList<InvoiceDiscount> discounts, IReadOnlyList<AppliedTaxRate> taxRates, long availableCredit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(availableCredit);
        var subtotal = 0L;
        foreach (var amount in lineAmounts) subtotal = checked(subtotal + amount);
        var discount = Discount(subtotal, discounts);
        var taxable = subtotal - discount;

        var taxes = new List<TaxLine>(taxRates.Count);
        var inclusiveShare = 100m + taxRates.Where(r => r.Inclusive).Sum(r => r.Percentage);
        long exclusiveTax = 0, tax = 0;
        foreach (var rate in taxRates)
        {
            var amount = rate.Inclusive
                ? MinorUnits.Round(taxable * rate.Percentage / inclusiveShare)
                : MinorUnits.Round(taxable * rate.Percentage / 100);
            taxes.Add(new TaxLine(rate.Code, rate.Percentage, rate.Inclusive, taxable, amount));
            tax = checked(tax + amount);
            if (!rate.Inclusive) exclusiveTax = checked(exclusiveTax + amount);
        }

        var total = checked(taxable + exclusiveTax);
        var credits = Math.Clamp(availableCredit, 0, Math.Max(0, total));
        return new InvoiceTotals(subtotal, discount, taxes, tax, total, credits, total - credits);
    }

    /// <summary>
    /// Each discount in turn on what the ones before left, so together they never exceed the subtotal. A credit (a
    /// subtotal below zero) is taken down by the percent discounts, as the charges it gives back were, and its tax is
    /// given back with it; an amount off does not apply to a credit. So a credit is what was paid for what it gives back.
    /// </summary>
    static long Discount(long subtotal, IReadOnlyList<InvoiceDiscount> discounts)
    {
        var left = subtotal;
        foreach (var discount in discounts)
        {
            if (left < 0 && discount.PercentOff is null) continue;
            var off = discount.PercentOff is { } percent ? MinorUnits.Round(left * percent / 100) : discount.AmountOff ?? 0;
            left -= left < 0 ? Math.Clamp(off, left, 0) : Math.Clamp(off, 0, left);
        }

        return subtotal - left;
    }
}
