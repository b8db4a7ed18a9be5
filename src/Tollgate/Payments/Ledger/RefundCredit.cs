using Tollgate.Billing.Invoices;

namespace Tollgate.Payments.Ledger;

/// <summary>
/// A refund is money paid back, tax included; a credit note credits amounts before tax and adds their tax. The amount
/// before tax of a refund is its share of the invoice's total after discounts, rounded down, so the note's total
/// never exceeds what was paid back (it may fall short of it by the tax's rounding, a minor unit at most).
/// </summary>
public static class RefundCredit
{
    /// <summary>
    /// The part of a refund that was this invoice's: a merchant of record's payment holds its own tax on top
    /// (<paramref name="providerTax"/> of <paramref name="paid"/>), which it refunds in proportion and which no credit
    /// note of Tollgate's may credit. Rounded down, as <see cref="BeforeTax"/> is.
    /// </summary>
    public static long OfInvoice(long refunded, long paid, long providerTax) =>
        providerTax <= 0 || paid <= 0 ? refunded : (long)decimal.Floor((decimal)refunded * (paid - providerTax) / paid);

    public static long BeforeTax(Invoice invoice, long refunded)
    {
        if (invoice.Tax == 0 || invoice.Total <= 0) return refunded;
        var taxable = invoice.Total - invoice.Tax;
        return (long)decimal.Floor((decimal)refunded * taxable / invoice.Total);
    }
}
