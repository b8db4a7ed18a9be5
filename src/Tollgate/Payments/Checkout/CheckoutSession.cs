using System.ComponentModel.DataAnnotations;
using Tollgate.Catalog;

namespace Tollgate.Payments.Checkout;

/// <summary>
/// A hosted checkout at a provider for a plan. With something due now, the subscription exists from the start,
/// <c>incomplete</c> with its first invoice open, and the checkout pays that invoice; with nothing due (a trial, a free
/// plan) the checkout saves a payment method and the subscription is created when it completes. Either way only the
/// provider's webhook completes it, never the browser's return to <c>success_url</c>.
/// </summary>
public sealed record CheckoutSession
{
    public required string Id { get; init; }
    public required string CustomerId { get; init; }
    public required string Provider { get; init; }
    public string? ProviderSessionId { get; init; }
    public required string Plan { get; init; }
    public required BillingInterval Interval { get; init; }
    public required string Currency { get; init; }
    public required long Quantity { get; init; }
    public string? SubscriptionId { get; init; }
    public string? InvoiceId { get; init; }

    /// <summary>What the checkout charges now, in minor units of <see cref="Currency"/>: the first invoice's amount due, or 0.</summary>
    public required long Amount { get; init; }
    public string? Url { get; init; }
    public required string SuccessUrl { get; init; }
    public required string CancelUrl { get; init; }

    /// <summary><c>open</c>, <c>complete</c>, <c>expired</c>, or <c>failed</c> (the provider refused to make it).</summary>
    public required string Status { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
}

/// <summary><c>POST /api/v1/checkout-sessions</c>.</summary>
public sealed record CreateCheckoutRequest(
    [property: Required] string? CustomerId,
    [property: Required] string? Plan,
    BillingInterval? Interval = null,
    string? Currency = null,
    long? Quantity = null,
    [property: Required] string? SuccessUrl = null,
    [property: Required] string? CancelUrl = null);
