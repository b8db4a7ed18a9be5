using Tollgate.Billing.Invoices;
using Tollgate.Catalog;

namespace Tollgate.Billing.Coupons;

/// <summary>A coupon: a percent off, or an amount off in one currency, before tax, for a while.</summary>
public sealed record Coupon
{
    public required string Id { get; init; }
    public required string Code { get; init; }
    public decimal? PercentOff { get; init; }
    public long? AmountOff { get; init; }
    public string? Currency { get; init; }
    public required CouponDuration Duration { get; init; }
    public int? DurationInMonths { get; init; }
    public long? MaxRedemptions { get; init; }
    public required long TimesRedeemed { get; init; }
    public DateTimeOffset? RedeemBy { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? ArchivedAt { get; init; }
}

/// <summary>
/// A coupon as a subscription holds it once redeemed: its terms copied (a coupon changed or archived later does not
/// change what was promised), until when it applies, and whether a <c>once</c> coupon has been used.
/// </summary>
public sealed record AppliedCoupon(string Code, decimal? PercentOff, long? AmountOff, CouponDuration Duration, DateTimeOffset? EndsAt, bool Used)
{
    /// <summary>Whether an invoice made at <paramref name="at"/> gets the discount.</summary>
    public bool AppliesAt(DateTimeOffset at) => Duration switch
    {
        CouponDuration.Once => !Used,
        CouponDuration.Repeating => EndsAt is { } end && at < end,
        _ => true,
    };

    public InvoiceDiscount ToDiscount() => new(Code, PercentOff, AmountOff);
}
