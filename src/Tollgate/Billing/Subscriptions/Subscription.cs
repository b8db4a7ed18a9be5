using Tollgate.Billing.Periods;
using Tollgate.Catalog;

namespace Tollgate.Billing.Subscriptions;

public enum SubscriptionStatus
{
    Trialing,
    Active,
    PastDue,
    Paused,
    Canceled,
    Incomplete,
}

/// <summary>
/// A customer's subscription to one version of a plan, pinned: a new version of the plan applies to new subscriptions,
/// and to this one only when the operator migrates it. <see cref="UnitAmount"/> is the recurring price per unit of the
/// version, interval and currency it was created with; the period is <c>[CurrentPeriodStart, CurrentPeriodEnd)</c>,
/// counted from <see cref="BillingAnchor"/>.
/// </summary>
public sealed record Subscription
{
    public required string Id { get; init; }
    public required string CustomerId { get; init; }
    public required string Plan { get; init; }
    public required int PlanVersion { get; init; }
    public required BillingInterval Interval { get; init; }
    public required string Currency { get; init; }
    public required long Quantity { get; init; }
    public required long UnitAmount { get; init; }
    public required SubscriptionStatus Status { get; init; }
    public required DateTimeOffset BillingAnchor { get; init; }
    public required DateTimeOffset CurrentPeriodStart { get; init; }
    public required DateTimeOffset CurrentPeriodEnd { get; init; }
    public DateTimeOffset? TrialEnd { get; init; }
    public bool CancelAtPeriodEnd { get; init; }
    public string? CancelReason { get; init; }
    public DateTimeOffset? CanceledAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Whether the subscription gives its plan's access now: trialing, active, or past due while dunning goes on.</summary>
    public bool GivesAccess => Status is SubscriptionStatus.Trialing or SubscriptionStatus.Active or SubscriptionStatus.PastDue;

    public BillingPeriod CurrentPeriod => new(CurrentPeriodStart, CurrentPeriodEnd);

    /// <summary>The recurring amount of a whole period: price per unit × quantity.</summary>
    public long PeriodAmount => checked(UnitAmount * Quantity);
}

/// <summary><c>POST /api/v1/subscriptions</c>. Left out: the customer's currency, monthly, one unit, the plan's trial.</summary>
public sealed record CreateSubscriptionRequest(
    [property: System.ComponentModel.DataAnnotations.Required] string? CustomerId,
    [property: System.ComponentModel.DataAnnotations.Required] string? Plan,
    BillingInterval? Interval = null,
    string? Currency = null,
    long? Quantity = null,
    int? TrialDays = null,
    string? Coupon = null);

public enum CancelTiming
{
    Now,
    PeriodEnd,
}

/// <summary><c>POST /api/v1/subscriptions/{id}/cancel</c>: at once, or when the period ends (the default), with a reason.</summary>
public sealed record CancelSubscriptionRequest(CancelTiming? At = null, string? Reason = null);
