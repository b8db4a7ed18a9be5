using Tollgate.Analytics.Mrr;

namespace Tollgate.Tests.Analytics;

public sealed class MrrMetricsTests
{
    static readonly DateTimeOffset T = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    static MrrMovement M(string customer, int day, MovementKind kind, long before, long after) => new(customer, "USD", T.AddDays(day), kind, before, after);

    static MrrRates Window() => MrrMetrics.Of(
        new Dictionary<string, long> { ["a"] = 100, ["b"] = 200, ["c"] = 300 },
        [
            M("b", 1, MovementKind.Contraction, 200, 100),
            M("c", 2, MovementKind.Churn, 300, 0),
            M("d", 3, MovementKind.New, 0, 50),
            M("a", 4, MovementKind.Expansion, 100, 150),
            M("e", 5, MovementKind.New, 0, 40), // joined and left in the window: not a churned customer
            M("e", 6, MovementKind.Churn, 40, 0),
        ]);

    [Fact]
    public void Customer_churn_counts_only_the_customers_paying_at_the_start()
    {
        var rates = Window();
        (rates.CustomersStart, rates.ChurnedCustomers, rates.CustomerChurnRate).ShouldBe((3, 1, 0.333333m));
    }

    [Fact]
    public void Gross_and_net_mrr_churn_are_over_the_starting_mrr()
    {
        var rates = Window();
        rates.GrossMrrChurnRate.ShouldBe(0.733333m, "churn 340 and contraction 100 of 600");
        rates.NetMrrChurnRate.ShouldBe(0.65m, "less the expansion of 50");
    }

    [Fact]
    public void Retention_follows_the_starting_customers_capped_at_their_start_for_gross()
    {
        var rates = Window();
        rates.GrossRevenueRetention.ShouldBe(0.333333m, "a 100 (capped) + b 100 + c 0 of 600");
        rates.NetRevenueRetention.ShouldBe(0.416667m, "a 150 + b 100 + c 0 of 600; d, new, is not retention");
    }

    [Fact]
    public void Arpa_and_the_quick_ratio_from_the_end_and_the_movements()
    {
        var rates = Window();
        (rates.MrrEnd, rates.CustomersEnd, rates.Arpa).ShouldBe((300L, 3, 100L));
        rates.QuickRatio.ShouldBe(0.318182m, "new 90 and expansion 50 over churn 340 and contraction 100");
    }

    [Fact]
    public void Nothing_to_divide_by_is_null_not_zero_or_infinity()
    {
        var empty = MrrMetrics.Of(new Dictionary<string, long>(), []);
        (empty.CustomerChurnRate, empty.GrossMrrChurnRate, empty.NetRevenueRetention, empty.Arpa, empty.QuickRatio).ShouldBe((null, null, null, null, null));
        MrrMetrics.Of(new Dictionary<string, long> { ["a"] = 100 }, [M("b", 1, MovementKind.New, 0, 50)]).QuickRatio.ShouldBeNull("growth without losses has no ratio");
    }

    [Fact]
    public void Ltv_is_arpa_over_the_trailing_monthly_churn_with_a_floor_when_none_churned()
    {
        MrrRates Month(int start, decimal churn) => new(0, 0, start, start, 0, churn, null, null, null, null, null, null);
        MrrMetrics.Ltv(100, [Month(10, 0.1m), Month(10, 0.2m)]).ShouldBe((667L, 0.15m, "churn"));
        MrrMetrics.Ltv(100, [Month(10, 0m), Month(10, 0m)]).ShouldBe((2000L, 0.05m, "no_churn_floor"));
        MrrMetrics.Ltv(null, [Month(10, 0.1m)]).Ltv.ShouldBeNull();
    }
}
