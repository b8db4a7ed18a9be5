using Tollgate.Billing.Invoices;
using Tollgate.Payments.Providers;

namespace Tollgate.Payments.Ledger;

/// <summary>An invoice's payments that succeeded, for its page: the provider, and a merchant of record's own tax on top.</summary>
public sealed class InvoiceSettlements(PaymentStore store) : IInvoiceSettlements
{
    public async Task<IReadOnlyList<InvoiceSettlement>> OfAsync(string invoiceId, CancellationToken ct) =>
        [.. (await store.ListAsync(null, invoiceId, ct))
            .Where(p => p.Status == PaymentStatus.Succeeded)
            .OrderBy(p => p.CreatedAt)
            .Select(p => PaymentProviderNames.Parse(p.Provider) is { } name
                ? new InvoiceSettlement(name.DisplayName(), name.IsMerchantOfRecord(), p.Amount, p.Tax, p.Currency, p.CreatedAt)
                : new InvoiceSettlement(p.Provider, false, p.Amount, p.Tax, p.Currency, p.CreatedAt))];
}
