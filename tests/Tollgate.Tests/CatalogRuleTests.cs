using Tollgate.Catalog;

namespace Tollgate.Tests;

public class CatalogRuleTests
{
    static readonly Dictionary<string, FeatureType> Features = new()
    {
        ["api_access"] = FeatureType.Boolean,
        ["chatbots"] = FeatureType.Limit,
        ["queries"] = FeatureType.Quota,
    };

    static readonly HashSet<string> Metrics = ["queries"];

    static string[] Errors(PlanVersionSpec spec) =>
        CatalogRules.CheckVersion(spec, Features, Metrics).Error?.Errors?.Keys.Order().ToArray() ?? [];

    [Fact]
    public void A_boolean_feature_takes_no_limit() =>
        Errors(new(Entitlements: [new("api_access", Limit: 5)])).ShouldBe(["entitlements[0]"]);

    [Fact]
    public void A_quota_needs_a_limit_or_unlimited()
    {
        Errors(new(Entitlements: [new("queries")])).ShouldBe(["entitlements[0].limit"]);
        Errors(new(Entitlements: [new("queries", Unlimited: true)])).ShouldBeEmpty();
    }

    [Fact]
    public void Unknown_features_and_metrics_are_named() =>
        Errors(new(Entitlements: [new("nope", Limit: 1)], Charges: [new("ghost", "USD", ChargeModel.PerUnit, new(UnitAmount: 1))]))
            .ShouldBe(["charges[0].metric", "entitlements[0].feature"]);

    [Fact]
    public void Tiers_must_rise_and_end_open() =>
        Errors(new(Charges: [new("queries", "USD", ChargeModel.Graduated, new(Tiers: [new(100, 2), new(50, 1), new(200, 1)]))]))
            .ShouldBe(["charges[0].properties.tiers[1].up_to", "charges[0].properties.tiers[2].up_to"]);

    [Fact]
    public void Prices_may_not_repeat_an_interval_and_currency() =>
        Errors(new(Prices: [new(BillingInterval.Month, "USD", 100), new(BillingInterval.Month, "usd", 200)])).ShouldBe(["prices[1]"]);

    [Fact]
    public void Percentage_rates_are_percents() =>
        Errors(new(Charges: [new("queries", "USD", ChargeModel.Percentage, new(Rate: 101))])).ShouldBe(["charges[0].properties.rate"]);

    [Fact]
    public void Order_and_case_do_not_make_a_new_version()
    {
        var a = new PlanVersionSpec(Prices: [new(BillingInterval.Year, "usd", 29000), new(BillingInterval.Month, "USD", 2900)],
            Entitlements: [new("queries", Limit: 10), new("api_access")]);
        var b = new PlanVersionSpec(0, [new(BillingInterval.Month, "USD", 2900), new(BillingInterval.Year, "USD", 29000)],
            [new("api_access", true), new("queries", true, 10, false, Enforcement.Hard)]);
        CatalogRules.SameContent(a, b, Features).ShouldBeTrue();
        CatalogRules.SameContent(a, b with { TrialDays = 7 }, Features).ShouldBeFalse();
    }
}
