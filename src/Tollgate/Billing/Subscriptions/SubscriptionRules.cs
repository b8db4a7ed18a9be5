using Tollgate.Billing.Periods;
using Tollgate.Catalog;
using Tollgate.Common;

namespace Tollgate.Billing.Subscriptions;

/// <summary>Pure rules for subscriptions: what a request may ask, and the subscription it makes.</summary>
public static class SubscriptionRules
{
    public const long MaxQuantity = 1_000_000;
    public const int MaxTrialDays = 730;

    /// <summary>
    /// The subscription a request makes of a plan's current version for a customer billed in <paramref name="customerCurrency"/>:
    /// with a trial, trialing until it ends, and billed from then on (the anchor); without, active and billed from now.
    /// </summary>
    public static Result<Subscription> ForCreate(
        CreateSubscriptionRequest request, PlanVersion version, string customerCurrency, string id, DateTimeOffset now)
    {
        var check = new Validation();
        var interval = request.Interval ?? BillingInterval.Month;
        var currency = request.Currency is null ? customerCurrency : Currencies.Normalize(request.Currency);
        if (currency is null) check.Add("currency", "must be an ISO 4217 code such as USD, EUR or INR.");
        var quantity = request.Quantity ?? 1;
        check.Range("quantity", quantity, 1, MaxQuantity);
        var trialDays = request.TrialDays ?? version.TrialDays;
        check.Range("trial_days", trialDays, 0, MaxTrialDays);
        if (check.Failed) return check.ToError();

        var price = PriceOf(version, interval, currency!);
        if (price is null)
        {
            return new ApiError("price_not_found", StatusCodes.Status400BadRequest,
                $"Plan '{version.Plan}' has no {Named(interval)} price in {currency}; its prices are {Describe(version)}.");
        }

        var trialEnd = trialDays > 0 ? now.AddDays(trialDays) : (DateTimeOffset?)null;
        if (request.BillingAnchor is { } asked)
        {
            if (trialEnd is not null) check.Add("billing_anchor", "give a trial or a billing anchor, not both: a trial's end is the anchor.");
            else if (asked <= now || asked > BillingPeriod.Numbered(now, interval, 0).End) check.Add("billing_anchor", $"must be after now and at most one {Named(interval)[..^2]} ahead.");
            if (check.Failed) return check.ToError();
        }

        var anchor = trialEnd ?? request.BillingAnchor ?? now;
        // A billing anchor ahead makes a first, shorter period up to it (billed prorated); periods then run from it.
        var period = trialEnd is { } end ? new BillingPeriod(now, end)
            : request.BillingAnchor is { } stubEnd ? new BillingPeriod(now, stubEnd)
            : BillingPeriod.Numbered(anchor, interval, 0);
        return new Subscription
        {
            Id = id,
            CustomerId = request.CustomerId!,
            Plan = version.Plan,
            PlanVersion = version.Version,
            Interval = interval,
            Currency = currency!,
            Quantity = quantity,
            UnitAmount = price.Value,
            Status = trialEnd is null ? SubscriptionStatus.Active : SubscriptionStatus.Trialing,
            BillingAnchor = anchor,
            CurrentPeriodStart = period.Start,
            CurrentPeriodEnd = period.End,
            TrialEnd = trialEnd,
            CreatedAt = now,
            UpdatedAt = now,
        };
    }

    /// <summary>
    /// The version's recurring price per unit for the interval and currency; a version with no prices at all is free
    /// (0 in any currency); null when it has prices but none for these.
    /// </summary>
    public static long? PriceOf(PlanVersion version, BillingInterval interval, string currency)
    {
        if (version.Prices.Count == 0) return 0;
        return version.Prices.FirstOrDefault(p => p.Interval == interval && p.Currency == currency)?.Amount;
    }

    /// <summary>
    /// The interval a customer falls back on the version in after dunning gave up: the one it had when the version is
    /// free in it, else monthly when free monthly; null when the version would bill anything in the currency (a price
    /// above 0, or a charge: its usage or fixed amount), because a fallback must never bill a customer who could not pay.
    /// </summary>
    public static BillingInterval? FallbackInterval(PlanVersion version, BillingInterval had, string currency)
    {
        if (version.Charges.Any(c => c.Currency == currency)) return null;
        return PriceOf(version, had, currency) is 0 ? had : PriceOf(version, BillingInterval.Month, currency) is 0 ? BillingInterval.Month : null;
    }

    /// <summary>The minimum commitment per period of the version's price for the interval and currency, if it has one.</summary>
    public static long? MinimumOf(PlanVersion version, BillingInterval interval, string currency) =>
        version.Prices.FirstOrDefault(p => p.Interval == interval && p.Currency == currency)?.MinimumAmount;

    static string Describe(PlanVersion version) =>
        string.Join(", ", version.Prices.Select(p => $"{Named(p.Interval ?? BillingInterval.Month)} in {p.Currency}"));

    static string Named(BillingInterval interval) => interval == BillingInterval.Year ? "yearly" : "monthly";
}
