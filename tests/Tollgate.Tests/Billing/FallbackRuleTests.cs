using Tollgate.Billing.Rating;
using Tollgate.Billing.Subscriptions;
using Tollgate.Catalog;

namespace Tollgate.Tests.Billing;

/// <summary>Which plan versions a customer may fall back on after dunning gave up: only those that bill nothing.</summary>
public class FallbackRuleTests
{
    static PlanVersion Version(IReadOnlyList<PriceSpec> prices, IReadOnlyList<ChargeSpec>? charges = null) => new()
    {
        Id = "plv_free", Plan = "free", Version = 1, Status = PlanVersionStatus.Published, TrialDays = 0,
        Prices = prices, Entitlements = [], Charges = charges ?? [], CreatedAt = DateTimeOffset.UnixEpoch,
    };

    [Fact]
    public void A_version_without_prices_or_charges_is_a_fallback_in_the_interval_the_customer_had()
    {
        SubscriptionRules.FallbackInterval(Version([]), BillingInterval.Year, "USD").ShouldBe(BillingInterval.Year);
    }

    [Fact]
    public void A_version_free_only_monthly_is_a_monthly_fallback_and_one_with_a_price_is_none()
    {
        var monthlyFree = Version([new PriceSpec(BillingInterval.Month, "USD", 0), new PriceSpec(BillingInterval.Year, "USD", 5000)]);
        SubscriptionRules.FallbackInterval(monthlyFree, BillingInterval.Year, "USD").ShouldBe(BillingInterval.Month);
        SubscriptionRules.FallbackInterval(Version([new PriceSpec(BillingInterval.Month, "USD", 100)]), BillingInterval.Month, "USD").ShouldBeNull();
    }

    [Fact]
    public void A_version_with_a_charge_in_the_currency_is_no_fallback_however_free_its_price()
    {
        var metered = Version([], [new ChargeSpec("calls", "USD", ChargeModel.PerUnit, new ChargeProperties(UnitAmount: 1))]);

        SubscriptionRules.FallbackInterval(metered, BillingInterval.Month, "USD").ShouldBeNull(); // its usage would be billed
        SubscriptionRules.FallbackInterval(metered, BillingInterval.Month, "EUR").ShouldBe(BillingInterval.Month); // nothing it charges in euros
    }
}
