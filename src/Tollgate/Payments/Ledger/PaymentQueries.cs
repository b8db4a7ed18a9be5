namespace Tollgate.Payments.Ledger;

public sealed class PaymentQueries(PaymentStore store)
{
    public async Task<IReadOnlyList<object>> ListAsync(string? customerId, string? invoiceId, CancellationToken ct)
    {
        var payments = await store.ListAsync(customerId, invoiceId, ct);
        var refunds = (await store.RefundsAsync([.. payments.Select(p => p.Id)], ct)).ToLookup(r => r.PaymentId);
        return [.. payments.Select(p => Shape(p, [.. refunds[p.Id]]))];
    }

    /// <summary>The payment's fields with its refunds beside them.</summary>
    public static object Shape(Payment p, IReadOnlyList<Refund> refunds) => new
    {
        p.Id, p.CustomerId, p.InvoiceId, p.Provider, p.ProviderPaymentId, p.Amount, p.Currency, p.AmountRefunded, p.Tax, p.Status, p.FailureCode, p.FailureMessage,
        p.CreatedAt, p.UpdatedAt, Refunds = refunds,
    };
}
