using Tollgate.Payments.Providers;

namespace Tollgate.Payments.Routing;

/// <summary>
/// Which provider serves a customer (docs/payments.md, "Routing"): the one chosen for the customer (by the operator, or
/// at its first purchase), which binds, so none when it is no longer configured; otherwise the first rule that matches
/// the customer's country and currency and names a configured provider; otherwise none. Pure: the caller passes what is
/// configured.
/// </summary>
public static class PaymentRouting
{
    /// <summary>
    /// The rules in force when the operator writes none: India or INR to Razorpay; the rest to Stripe, or to Paddle,
    /// then LemonSqueezy, where Stripe is not configured; the built-in test provider last (the demo, offline).
    /// </summary>
    public static IReadOnlyList<RoutingRule> Defaults { get; } =
    [
        new(PaymentProviderName.Razorpay, Country: "IN"),
        new(PaymentProviderName.Razorpay, Currency: "INR"),
        new(PaymentProviderName.Stripe),
        new(PaymentProviderName.Paddle),
        new(PaymentProviderName.LemonSqueezy),
        new(PaymentProviderName.Test),
    ];

    public static PaymentProviderName? Choose(
        IReadOnlyList<RoutingRule> rules, IReadOnlySet<PaymentProviderName> configured, string? country, string currency, PaymentProviderName? chosenForCustomer)
    {
        if (chosenForCustomer is { } chosen) return configured.Contains(chosen) ? chosen : null;
        foreach (var rule in rules)
        {
            if (configured.Contains(rule.Provider) && rule.Matches(country, currency)) return rule.Provider;
        }

        return null;
    }
}
