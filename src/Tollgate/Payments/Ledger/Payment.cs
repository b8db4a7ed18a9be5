using Tollgate.Payments.Providers;

namespace Tollgate.Payments.Ledger;

/// <summary>
/// A payment at a provider, in one place whatever the provider: the invoice it pays, its amount and what of it was
/// refunded, its state (<c>pending</c>, <c>succeeded</c>, <c>failed</c>) and why it failed.
/// </summary>
public sealed record Payment
{
    public required string Id { get; init; }
    public required string CustomerId { get; init; }
    public string? InvoiceId { get; init; }
    public required string Provider { get; init; }
    public required string ProviderPaymentId { get; init; }
    public required long Amount { get; init; }
    public required string Currency { get; init; }
    public long AmountRefunded { get; init; }

    /// <summary>The tax in <see cref="Amount"/> a merchant of record charged as its own, on top of the invoice; 0 elsewhere.</summary>
    public long Tax { get; init; }

    /// <summary><c>live</c> or <c>test</c>: the provider's credentials it was made with, which its refunds are asked with.</summary>
    public string Mode { get; init; } = "live";
    public required PaymentStatus Status { get; init; }
    public string? FailureCode { get; init; }
    public string? FailureMessage { get; init; }

    /// <summary>The provider object's own time: news older than what is recorded never undoes it.</summary>
    public required DateTimeOffset ProviderTime { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>A refund of a payment: pending at the provider, then succeeded (with the credit note it made) or failed.</summary>
public sealed record Refund
{
    public required string Id { get; init; }
    public required string PaymentId { get; init; }
    public required string Provider { get; init; }
    public string? ProviderRefundId { get; init; }
    public required long Amount { get; init; }
    public required string Currency { get; init; }
    public required RefundStatus Status { get; init; }
    public string? Reason { get; init; }
    public string? CreditNoteId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary><c>POST /api/v1/payments/{id}/refund</c>: all that is left of the payment when no amount is given.</summary>
public sealed record RefundRequest(long? Amount = null, string? Reason = null);

/// <summary>Which provider serves a customer and the customer's ids there (<c>chosen_by</c>: <c>operator</c> or <c>routing</c>).</summary>
public sealed record PaymentAccount
{
    public string CustomerId { get; init; } = "";
    public string Provider { get; init; } = "";
    public string? ProviderCustomerId { get; init; }
    public string? PaymentMethod { get; init; }
    public string ChosenBy { get; init; } = "";

    /// <summary><c>live</c> or <c>test</c>: which of the provider's credentials the customer is served with, fixed when it is first made there.</summary>
    public string Mode { get; init; } = "live";
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>
/// A merchant of record's own subscription, kept in step with a Tollgate subscription: its id at the provider, its
/// state there (<c>active</c>, <c>paused</c>, <c>canceled</c>) and the provider's time of that state.
/// </summary>
public sealed record ProviderSubscription
{
    public string SubscriptionId { get; init; } = "";
    public string CustomerId { get; init; } = "";
    public string Provider { get; init; } = "";
    public string ProviderSubscriptionId { get; init; } = "";
    public string Status { get; init; } = "";
    public string Mode { get; init; } = "live";
    public DateTimeOffset ProviderTime { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}
