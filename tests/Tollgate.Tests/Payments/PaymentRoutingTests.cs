using Tollgate.Payments.Providers;
using Tollgate.Payments.Routing;

namespace Tollgate.Tests.Payments;

public sealed class PaymentRoutingTests
{
    static readonly HashSet<PaymentProviderName> All = [PaymentProviderName.Stripe, PaymentProviderName.Razorpay, PaymentProviderName.Paddle];

    static PaymentProviderName? Default(string? country, string currency, IReadOnlySet<PaymentProviderName>? configured = null, PaymentProviderName? chosen = null) =>
        PaymentRouting.Choose(PaymentRouting.Defaults, configured ?? All, country, currency, chosen);

    [Theory]
    [InlineData("IN", "INR", PaymentProviderName.Razorpay)]
    [InlineData("IN", "USD", PaymentProviderName.Razorpay)]
    [InlineData("US", "INR", PaymentProviderName.Razorpay)]
    [InlineData("in", "usd", PaymentProviderName.Razorpay)]
    [InlineData("US", "USD", PaymentProviderName.Stripe)]
    [InlineData("DE", "EUR", PaymentProviderName.Stripe)]
    [InlineData(null, "USD", PaymentProviderName.Stripe)]
    public void By_default_India_or_rupees_go_to_Razorpay_and_the_rest_to_Stripe(string? country, string currency, PaymentProviderName expected) =>
        Default(country, currency).ShouldBe(expected);

    [Fact]
    public void Without_Stripe_the_rest_go_to_Paddle_and_without_Razorpay_India_goes_to_what_serves_the_rest()
    {
        Default("US", "USD", new HashSet<PaymentProviderName> { PaymentProviderName.Paddle, PaymentProviderName.Razorpay }).ShouldBe(PaymentProviderName.Paddle);
        Default("IN", "INR", new HashSet<PaymentProviderName> { PaymentProviderName.Stripe }).ShouldBe(PaymentProviderName.Stripe);
        Default("US", "USD", new HashSet<PaymentProviderName> { PaymentProviderName.LemonSqueezy }).ShouldBe(PaymentProviderName.LemonSqueezy);
        Default("US", "USD", new HashSet<PaymentProviderName>()).ShouldBeNull();
        Default("US", "USD", new HashSet<PaymentProviderName> { PaymentProviderName.Test }).ShouldBe(PaymentProviderName.Test);
    }

    [Fact]
    public void The_operators_rules_apply_in_order_country_and_currency_both_when_both_are_set()
    {
        IReadOnlyList<RoutingRule> rules =
        [
            new(PaymentProviderName.Paddle, Country: "DE", Currency: "EUR"),
            new(PaymentProviderName.Razorpay, Country: "IN"),
            new(PaymentProviderName.Stripe),
        ];
        PaymentRouting.Choose(rules, All, "DE", "EUR", null).ShouldBe(PaymentProviderName.Paddle);
        PaymentRouting.Choose(rules, All, "DE", "USD", null).ShouldBe(PaymentProviderName.Stripe);
        PaymentRouting.Choose(rules, All, "FR", "EUR", null).ShouldBe(PaymentProviderName.Stripe);
        PaymentRouting.Choose(rules, All, "IN", "USD", null).ShouldBe(PaymentProviderName.Razorpay);
        PaymentRouting.Choose(rules, All, "US", "INR", null).ShouldBe(PaymentProviderName.Stripe); // these rules send rupees from abroad to Stripe
    }

    [Fact]
    public void The_provider_chosen_for_a_customer_binds_and_is_none_once_it_is_not_configured()
    {
        Default("IN", "INR", chosen: PaymentProviderName.Stripe).ShouldBe(PaymentProviderName.Stripe);
        Default("US", "USD", chosen: PaymentProviderName.Paddle).ShouldBe(PaymentProviderName.Paddle);
        Default("US", "USD", chosen: PaymentProviderName.LemonSqueezy).ShouldBeNull();
    }
}
