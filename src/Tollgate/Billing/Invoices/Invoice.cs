namespace Tollgate.Billing.Invoices;

public enum InvoiceStatus
{
    Draft,
    Open,
    Paid,
    Void,
    Uncollectible,
}

/// <summary>Why an invoice was made.</summary>
public enum BillingReason
{
    SubscriptionCreate,
    SubscriptionCycle,
    SubscriptionUpdate,
    SubscriptionEnd,
    SubscriptionResume,

    /// <summary>Usage of charges paid in advance, billed as it accrues within a period under way.</summary>
    UsageInAdvance,
}

public enum InvoiceLineKind
{
    /// <summary>A subscription's recurring price for a period, billed in advance.</summary>
    Subscription,

    /// <summary>Metered usage of a period under one of the plan's charges, billed in arrears.</summary>
    Usage,

    /// <summary>A mid-period change's credit or charge.</summary>
    Proration,

    /// <summary>The true-up to a subscription's minimum commitment for a period, billed in arrears.</summary>
    Commitment,
}

/// <summary>
/// One line: what it is for, the period it covers, its quantity and price, and its amount, rounded once. A usage line
/// names its metric and the kind of rated line it came from (a tier, a minimum…).
/// </summary>
public sealed record InvoiceLine(
    int Position, InvoiceLineKind Kind, string Description, DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd,
    decimal Quantity, decimal? UnitAmount, long Amount, string? Metric = null, string? Detail = null);

/// <summary>
/// An invoice. Amounts are in minor units of <see cref="Currency"/> and follow <see cref="InvoiceMath"/>:
/// <c>subtotal − discount + exclusive tax = total</c>, <c>total − credits_applied = amount_due</c>. The number is given
/// when it is finalized, from one gapless sequence per prefix.
/// </summary>
public sealed record Invoice
{
    public required string Id { get; init; }
    public string? Number { get; init; }
    public required string CustomerId { get; init; }
    public string? SubscriptionId { get; init; }
    public required InvoiceStatus Status { get; init; }
    public required BillingReason BillingReason { get; init; }
    public required string Currency { get; init; }
    public required DateTimeOffset PeriodStart { get; init; }
    public required DateTimeOffset PeriodEnd { get; init; }
    public required IReadOnlyList<InvoiceLine> Lines { get; init; }
    public required long Subtotal { get; init; }
    public required long Discount { get; init; }
    public required long Tax { get; init; }
    public required IReadOnlyList<TaxLine> Taxes { get; init; }

    /// <summary>Why the invoice carries no tax, when it says: exempt, or reverse charge.</summary>
    public string? TaxNote { get; init; }

    /// <summary>The coupon whose discount the invoice carries.</summary>
    public string? DiscountCode { get; init; }
    public required long Total { get; init; }
    public required long CreditsApplied { get; init; }
    public required long AmountDue { get; init; }
    public required long AmountPaid { get; init; }

    /// <summary>Failed payments so far; dunning retries at <see cref="NextPaymentAttempt"/>.</summary>
    public int PaymentAttempts { get; init; }
    public DateTimeOffset? NextPaymentAttempt { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? FinalizedAt { get; init; }
    public DateTimeOffset? PaidAt { get; init; }
    public DateTimeOffset? VoidedAt { get; init; }
    public DateTimeOffset? MarkedUncollectibleAt { get; init; }

    /// <summary>The test clock of the invoice's customer, if it has one: dunning then follows that clock.</summary>
    public string? TestClockId { get; init; }
}
