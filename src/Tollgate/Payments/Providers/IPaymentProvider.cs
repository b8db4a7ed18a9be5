using Tollgate.Payments.Webhooks;

namespace Tollgate.Payments.Providers;

/// <summary>
/// One payment provider, spoken to over its REST API. Every call that moves money or makes a record at the provider
/// carries an idempotency key, so that a call retried after a timeout or a crash makes it once. Errors the provider
/// answers come back as <see cref="PaymentProviderException"/>, a card declined as a failed <see cref="ChargeOutcome"/>.
/// </summary>
public interface IPaymentProvider
{
    PaymentProviderName Name { get; }

    /// <summary>
    /// Whether Tollgate may charge a saved payment method of this provider for an open invoice, off session. A provider
    /// that cannot is sent a payment link per invoice instead (<see cref="CheckoutOrder.Notify"/>), which the provider
    /// mails or texts to the customer.
    /// </summary>
    bool ChargesOffSession { get; }

    /// <summary>Creates the provider's customer for a Tollgate customer (the same one again for the same key), and returns its id.</summary>
    Task<string> CreateCustomerAsync(ProviderCustomer customer, string idempotencyKey, CancellationToken ct);

    /// <summary>A hosted checkout: for the amount, saving the payment method for later charges; for nothing, saving it alone.</summary>
    Task<HostedCheckout> CreateCheckoutAsync(CheckoutOrder order, string idempotencyKey, CancellationToken ct);

    /// <summary>The provider's page where the customer updates its payment method and sees its receipts.</summary>
    Task<string> PortalUrlAsync(string providerCustomerId, string returnUrl, CancellationToken ct);

    /// <summary>Charges a saved payment method, off session.</summary>
    Task<ChargeOutcome> ChargeAsync(OffSessionCharge charge, string idempotencyKey, CancellationToken ct);

    /// <summary>Refunds a payment in full (no amount) or in part.</summary>
    Task<RefundOutcome> RefundAsync(RefundOrder refund, string idempotencyKey, CancellationToken ct);

    /// <summary>
    /// Ends the provider's own subscription, at once: a merchant of record's, when the Tollgate subscription it keeps in
    /// step with has ended. Providers that keep none (Tollgate's subscription is the only one) are never asked.
    /// </summary>
    Task CancelSubscriptionAsync(string providerSubscriptionId, CancellationToken ct) =>
        throw new PaymentProviderException(Name, 400, "no_provider_subscription", $"{Name.Text()} keeps no subscription of its own.");

    /// <summary>Pauses (<paramref name="pause"/>) or resumes the provider's own subscription, at once, as its Tollgate subscription was.</summary>
    Task PauseSubscriptionAsync(string providerSubscriptionId, bool pause, CancellationToken ct) =>
        throw new PaymentProviderException(Name, 400, "no_provider_subscription", $"{Name.Text()} keeps no subscription of its own.");

    /// <summary>
    /// Closes a checkout that expired in Tollgate at the provider too, where its page would take a payment otherwise
    /// (Paddle's transactions never expire); providers whose checkouts expire by themselves do nothing.
    /// </summary>
    Task CloseCheckoutAsync(string providerSessionId, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Checks an inbound webhook's signature on its raw body.</summary>
    SignatureCheck Verify(IHeaderDictionary headers, ReadOnlySpan<byte> body, DateTimeOffset now);

    /// <summary>
    /// What a verified webhook says, in Tollgate's terms. May ask the provider for the object's current state (so that
    /// events read out of order end in the state the provider holds now). Null when the body is not the provider's event.
    /// </summary>
    Task<InboundEvent?> ReadAsync(IHeaderDictionary headers, byte[] body, CancellationToken ct);
}

/// <summary>A provider's answer that is an error (not a card declined): its HTTP status, its own code and message.</summary>
public sealed class PaymentProviderException(PaymentProviderName provider, int status, string? code, string message)
    : Exception($"{provider.Text()} answered {status}{(code is null ? "" : $" {code}")}: {message}")
{
    public PaymentProviderName Provider { get; } = provider;
    public int Status { get; } = status;
    public string? Code { get; } = code;
}

public sealed record ProviderCustomer(string CustomerId, string Name, string? Email, string? Country);

/// <summary>
/// What a checkout sells: an amount due now (the first invoice of an incomplete subscription) or nothing (a trial or a
/// free plan, the payment method saved for later). The Tollgate ids travel in the provider's metadata.
/// </summary>
public sealed record CheckoutOrder(
    string CheckoutId, string? ProviderCustomerId, string CustomerId, string? InvoiceId, string Description, long Amount, string Currency,
    string SuccessUrl, string CancelUrl, DateTimeOffset ExpiresAt)
{
    /// <summary>An invoice's payment link rather than a checkout: the provider sends it to the customer itself; its <see cref="CheckoutId"/> is the invoice's attempt.</summary>
    public bool Notify { get; init; }

    /// <summary>The customer's name and email, for providers that show them on the page or send the link.</summary>
    public string? CustomerName { get; init; }
    public string? CustomerEmail { get; init; }
}

public sealed record HostedCheckout(string ProviderSessionId, string Url, DateTimeOffset ExpiresAt);

public sealed record OffSessionCharge(string InvoiceId, string CustomerId, string ProviderCustomerId, string PaymentMethod, long Amount, string Currency);

/// <summary>What a charge came to: the provider's payment id (a declined charge has one too), and its state.</summary>
public sealed record ChargeOutcome(string? ProviderPaymentId, PaymentStatus Status, string? FailureCode, string? FailureMessage)
{
    /// <summary>What the provider charged, when it differs from what was asked: a merchant of record adds its tax (<see cref="Tax"/>).</summary>
    public long? Amount { get; init; }

    public long Tax { get; init; }
}

/// <summary>A refund to make: <see cref="Amount"/> is null for all of the payment; <see cref="Asked"/> is what that comes to, whichever.</summary>
public sealed record RefundOrder(string ProviderPaymentId, long? Amount, string Currency, string RefundId, string? Reason)
{
    public long Asked { get; init; }
}

public sealed record RefundOutcome(string ProviderRefundId, RefundStatus Status, long Amount);

public enum PaymentStatus
{
    Pending,
    Succeeded,
    Failed,
}

public enum RefundStatus
{
    Pending,
    Succeeded,
    Failed,
}
