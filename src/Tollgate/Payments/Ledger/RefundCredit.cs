using Tollgate.Billing.Invoices;

namespace Tollgate.Payments.Ledger;

/// <summary>
/// A refund is money paid back, tax included; a credit note credits amounts before tax and adds their tax. The amount
/// before tax of a refund is its share of the invoice's total after discounts, rounded down, so the note's total
/// never exceeds what was paid back (it may fall short of it by the tax's rounding, a minor unit at most).
/// </summary>
public static class RefundCredit
{
    public static long BeforeTax(Invoice invoice, long refunded)
    {
        if (invoice.Tax == 0 || invoice.Total <= 0) return refunded;
        var taxable = invoice.Total - invoice.Tax;
        return (long)decimal.Floor((decimal)refunded * taxable / invoice.Total);
    }
}
