namespace Tollgate.Payments.Providers;

/// <summary>
/// A provider's webhook in Tollgate's terms: its id (recorded with its effects, so a redelivery changes nothing), its
/// type as the provider names it, and what it changes. An event of a type Tollgate does not act on has no effects.
/// </summary>
public sealed record InboundEvent(string EventId, string Type, IReadOnlyList<PaymentEffect> Effects);

/// <summary>What an inbound event changes. Each carries the provider object's own time, so older news never undoes newer.</summary>
public abstract record PaymentEffect(DateTimeOffset At);

/// <summary>
/// A checkout completed at the provider: its session, the provider's customer, the payment method saved for later
/// charges, and the payment it took (none when it sold nothing now).
/// </summary>
public sealed record CheckoutCompleted(string ProviderSessionId, string? ProviderCustomerId, string? PaymentMethod, PaymentReported? Payment, DateTimeOffset At)
    : PaymentEffect(At)
{
    /// <summary>The provider's own subscription the checkout made (a merchant of record's), kept in step with the Tollgate subscription from then on.</summary>
    public string? ProviderSubscriptionId { get; init; }

    /// <summary>The Tollgate checkout, for providers whose news of a paid checkout names not the checkout but what it sold (LemonSqueezy's order).</summary>
    public string? CheckoutId { get; init; }
}

public sealed record CheckoutExpired(string ProviderSessionId, DateTimeOffset At) : PaymentEffect(At);

/// <summary>
/// A payment's state at the provider: succeeded, failed or pending, for an amount, and the Tollgate invoice it pays
/// (from the metadata Tollgate gave it), with the payment method it was made with when the provider saved it.
/// </summary>
public sealed record PaymentReported(
    string ProviderPaymentId, string? InvoiceId, string? CustomerId, PaymentStatus Status, long Amount, string Currency,
    string? PaymentMethod, string? FailureCode, string? FailureMessage, DateTimeOffset At) : PaymentEffect(At)
{
    /// <summary>The tax in <see cref="Amount"/> that a merchant of record charged on top of the invoice, as its own; 0 elsewhere.</summary>
    public long Tax { get; init; }
}

/// <summary>A refund's state at the provider, of a payment.</summary>
public sealed record RefundReported(
    string ProviderRefundId, string ProviderPaymentId, string? RefundId, RefundStatus Status, long Amount, string Currency, DateTimeOffset At) : PaymentEffect(At)
{
    /// <summary>
    /// <see cref="Amount"/> is all refunded of the payment so far (LemonSqueezy's orders know no refunds, only their
    /// total): the refund is what it adds to what is recorded.
    /// </summary>
    public bool Cumulative { get; init; }
}

/// <summary>The customer saved another payment method at the provider (its portal): later charges use it.</summary>
public sealed record PaymentMethodUpdated(string ProviderCustomerId, string PaymentMethod, DateTimeOffset At) : PaymentEffect(At);

/// <summary>
/// A merchant of record's own subscription changed state at the provider (the customer cancelled it at the provider's
/// portal, the provider's dunning gave up, it was paused or resumed there): the Tollgate subscription follows.
/// </summary>
public sealed record ProviderSubscriptionChanged(string ProviderSubscriptionId, ProviderSubscriptionState State, DateTimeOffset At) : PaymentEffect(At);

public enum ProviderSubscriptionState
{
    Active,
    Paused,
    Canceled,
}
