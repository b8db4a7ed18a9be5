namespace Tollgate.Billing.Dunning;

/// <summary>The <c>invoice.payment_retry</c> event: the invoice charged again, which retry this is, and of how many.</summary>
public sealed record PaymentRetry(string InvoiceId, int Retry, int Of);
