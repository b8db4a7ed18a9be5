using System.Text.Json.Serialization;
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

    /// <summary>A change scheduled for the end of the period (<c>timing: period_end</c>), applied by the invoice run.</summary>
    public ScheduledChange? PendingChange { get; init; }

    /// <summary>The coupon redeemed with the subscription, its terms as they were then.</summary>
    public Coupons.AppliedCoupon? Discount { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Set to pause when the period ends: the invoice run bills the period's usage, then pauses it instead of renewing.</summary>
    public bool PauseAtPeriodEnd { get; init; }

    /// <summary>When it was paused; a paused subscription gives no access and is not billed.</summary>
    public DateTimeOffset? PausedAt { get; init; }

    /// <summary>When a paused subscription resumes by itself (the invoice run resumes it), if set.</summary>
    public DateTimeOffset? ResumesAt { get; init; }

    /// <summary>The test clock of the subscription's customer, if it has one: the subscription lives at that clock's time.</summary>
    public string? TestClockId { get; init; }

    /// <summary>
    /// Where the usage billed at the period's end starts, when a plan change made now split the period: the usage before
    /// it was rated under the old plan at the change, and the charges' included amounts are prorated to each part.
    /// Null: the period's start.
    /// </summary>
    public DateTimeOffset? UsageFrom { get; init; }

    /// <summary>The window of usage the period's end bills: from <see cref="UsageFrom"/>, or the period's start, to its end.</summary>
    [JsonIgnore]
    public BillingPeriod UsageWindow => new(UsageFrom ?? CurrentPeriodStart, CurrentPeriodEnd);

    /// <summary>The subscription in a new current period, whose usage window is all of it: renewed, resumed, or moved to another interval.</summary>
    public Subscription InPeriod(BillingPeriod period) => this with { CurrentPeriodStart = period.Start, CurrentPeriodEnd = period.End, UsageFrom = null };

    /// <summary>Whether the subscription gives its plan's access now: trialing, active, or past due while dunning goes on.</summary>
    [JsonIgnore]
    public bool GivesAccess => Status is SubscriptionStatus.Trialing or SubscriptionStatus.Active or SubscriptionStatus.PastDue;

    [JsonIgnore]
    public BillingPeriod CurrentPeriod => new(CurrentPeriodStart, CurrentPeriodEnd);

    /// <summary>
    /// The whole period the current one is priced against: itself, or for a first period up to a billing anchor set ahead
    /// (shorter than an interval), the interval that ends at the anchor. Its price and every proration in it are that
    /// share of a whole period's.
    /// </summary>
    [JsonIgnore]
    public BillingPeriod FullPeriod => Status != SubscriptionStatus.Trialing && CurrentPeriodEnd == BillingAnchor
        ? BillingPeriod.Numbered(BillingAnchor, Interval, -1)
        : CurrentPeriod;

    /// <summary>The recurring amount of a whole period: price per unit × quantity.</summary>
    [JsonIgnore]
    public long PeriodAmount => checked(UnitAmount * Quantity);
}

/// <summary>What a subscription becomes at the end of its period: plan version, interval, quantity and their price.</summary>
public sealed record ScheduledChange(string Plan, int PlanVersion, BillingInterval Interval, long Quantity, long UnitAmount);

/// <summary><c>POST /api/v1/subscriptions</c>. Left out: the customer's currency, monthly, one unit, the plan's trial.</summary>
public sealed record CreateSubscriptionRequest(
    [property: System.ComponentModel.DataAnnotations.Required] string? CustomerId,
    [property: System.ComponentModel.DataAnnotations.Required] string? Plan,
    BillingInterval? Interval = null,
    string? Currency = null,
    long? Quantity = null,
    int? TrialDays = null,
    string? Coupon = null,
    PaymentBehavior? PaymentBehavior = null,
    DateTimeOffset? BillingAnchor = null);

/// <summary>
/// How a subscription without a trial starts: <c>allow_incomplete</c> (the default) is active at once with its first
/// invoice open; <c>default_incomplete</c> is <c>incomplete</c>, without access, until that invoice is paid, and ends
/// (canceled, <c>incomplete_expired</c>, the invoice voided) when it is not paid within 23 hours.
/// </summary>
public enum PaymentBehavior
{
    AllowIncomplete,
    DefaultIncomplete,
}

public enum CancelTiming
{
    Now,
    PeriodEnd,
}

/// <summary>
/// <c>POST /api/v1/subscriptions/{id}/cancel</c>: at once, or when the period ends (the default), with a reason; at once
/// with <c>prorate</c>, the unused time of what an active subscription paid in advance is credited to the customer's balance.
/// </summary>
public sealed record CancelSubscriptionRequest(CancelTiming? At = null, string? Reason = null, bool? Prorate = null);

public enum PauseTiming
{
    Now,
    PeriodEnd,
}

/// <summary>
/// <c>POST /api/v1/subscriptions/{id}/pause</c>: at the period's end (the default: its usage is billed, then it
/// pauses) or now (the period is cut here: its usage so far billed, the unused time credited); resumes by itself at
/// <c>resumes_at</c> if given.
/// </summary>
public sealed record PauseSubscriptionRequest(PauseTiming? At = null, DateTimeOffset? ResumesAt = null);

public enum ChangeTiming
{
    Now,
    PeriodEnd,
}

/// <summary>How a change made now is billed: at once on an invoice of its own, on the next invoice, or not at all.</summary>
public enum ProrationBehavior
{
    InvoiceNow,
    NextInvoice,
    None,
}

/// <summary>
/// <c>POST /api/v1/subscriptions/{id}/change</c>: any of plan, interval and quantity. <c>preview: true</c> answers what
/// the change would do and writes nothing; pass its <c>proration_date</c> back to make exactly that change.
/// </summary>
public sealed record ChangeSubscriptionRequest(
    string? Plan = null,
    BillingInterval? Interval = null,
    long? Quantity = null,
    ChangeTiming? Timing = null,
    ProrationBehavior? Proration = null,
    bool? Preview = null,
    DateTimeOffset? ProrationDate = null);

/// <summary>
/// What a change did, or would do when <see cref="Preview"/>: the subscription after it, the invoice it made (its
/// proration billed at once), the credit it put on the customer's balance, the prorations left for the next invoice,
/// and the instant it was prorated at (pass it as <c>proration_date</c> to make the previewed change exactly).
/// </summary>
public sealed record SubscriptionChange(
    Subscription Subscription, Invoices.Invoice? Invoice, long BalanceCredited, IReadOnlyList<Invoices.InvoiceLine> PendingItems, DateTimeOffset ProrationDate, bool Preview);
