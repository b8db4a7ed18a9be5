using Microsoft.Extensions.Options;

namespace Tollgate.Billing.Invoices;

/// <summary>
/// How an invoice was paid, for its page: told by the feature that takes payments (billing does not know it). A
/// merchant of record sold to the customer itself and charged its own tax on top of the invoice: <see cref="Tax"/>.
/// </summary>
public sealed record InvoiceSettlement(string Provider, bool MerchantOfRecord, long Amount, long Tax, string Currency, DateTimeOffset At);

public interface IInvoiceSettlements
{
    /// <summary>The payments that succeeded for the invoice, oldest first.</summary>
    Task<IReadOnlyList<InvoiceSettlement>> OfAsync(string invoiceId, CancellationToken ct);
}

/// <summary>An invoice's page (and so its PDF): the invoice when it is the caller's to see, its buyer, its seller, and how it was paid.</summary>
public sealed class InvoicePages(InvoiceStore store, Customers.CustomerStore customers, IOptions<BillingOptions> options, IEnumerable<IInvoiceSettlements> settlements)
{
    public BillingOptions Options => options.Value;

    /// <summary>The page, when the invoice is the customer's (or any, with no customer: the operator's), and finalized for a customer.</summary>
    public async Task<string?> RenderAsync(string? customerId, string id, CancellationToken ct)
    {
        if (await InvoiceEndpoints.OwnAsync(store, customerId, id, ct) is not { } invoice) return null;
        var customer = await customers.GetAsync(invoice.CustomerId, ct);
        var buyer = new InvoiceBuyer(customer?.Name ?? invoice.CustomerId, customer?.Email, customer?.Country, customer?.Region, customer?.TaxId);
        var paid = new List<InvoiceSettlement>();
        foreach (var source in settlements) paid.AddRange(await source.OfAsync(invoice.Id, ct));
        return InvoiceDocument.Render(invoice, buyer, options.Value.Seller, paid);
    }
}
