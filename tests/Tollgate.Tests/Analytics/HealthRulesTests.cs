using Tollgate.Analytics.Customers;

namespace Tollgate.Tests.Analytics;

public sealed class HealthRulesTests
{
    static HealthInputs Healthy => new(1000, 900, 1, 0, 0, 5, 5, 4900, true);

    static int Points(HealthScore score, string signal) => score.Signals.Single(s => s.Name == signal).Contribution;

    [Fact]
    public void A_customer_using_more_paying_on_time_and_filling_its_seats_scores_100()
    {
        var score = HealthRules.Of(Healthy);
        (score.Score, score.ChurnRisk).ShouldBe((100, "low"));
        score.Signals.ShouldAllBe(s => s.Contribution == 0);
    }

    [Theory]
    [InlineData(400, 1000, -25)]
    [InlineData(700, 1000, -10)]
    [InlineData(800, 1000, 0)]
    [InlineData(50, 0, 0)]
    public void Usage_falling_against_the_previous_30_days_takes_points(long last, long previous, int points) =>
        Points(HealthRules.Of(Healthy with { RequestsLast30Days = last, RequestsPrevious30Days = previous }), "usage_trend").ShouldBe(points);

    [Theory]
    [InlineData(null, -20)]
    [InlineData(31, -25)]
    [InlineData(15, -15)]
    [InlineData(8, -5)]
    [InlineData(7, 0)]
    public void Silence_takes_points(int? days, int points) =>
        Points(HealthRules.Of(Healthy with { DaysSinceLastRequest = days }), "days_since_last_request").ShouldBe(points);

    [Fact]
    public void Failed_payments_downgrades_and_empty_seats_take_points_up_to_their_caps()
    {
        var score = HealthRules.Of(Healthy with { FailedPaymentsLast90Days = 5, DowngradesLast90Days = 3, MembersUsed = 2, SeatsPaid = 10 });
        (Points(score, "failed_payments"), Points(score, "downgrades"), Points(score, "seats_used")).ShouldBe((-30, -20, -10));
        (score.Score, score.ChurnRisk).ShouldBe((40, "medium"));
    }

    [Fact]
    public void Reaching_a_limit_is_shown_and_takes_nothing_off()
    {
        var score = HealthRules.Of(Healthy with { HighestLimitShare = 100 });
        score.Signals.Single(s => s.Name == "limit_utilisation").ShouldSatisfyAllConditions(s => s.Value.ShouldBe("100%"), s => s.Contribution.ShouldBe(0));
        score.Score.ShouldBe(100);
    }

    [Fact]
    public void Risk_is_high_under_40_and_churned_for_a_customer_that_paid_and_pays_no_more()
    {
        HealthRules.Of(Healthy with { FailedPaymentsLast90Days = 3, DowngradesLast90Days = 2, DaysSinceLastRequest = 40 }).ShouldSatisfyAllConditions(
            s => s.Score.ShouldBe(25), s => s.ChurnRisk.ShouldBe("high"));
        HealthRules.Of(Healthy with { Mrr = 0 }).ChurnRisk.ShouldBe("churned");
        HealthRules.Of(Healthy with { Mrr = 0, EverPaid = false }).ChurnRisk.ShouldBe("low", "a free customer has not churned");
        HealthRules.Of(Healthy with { FailedPaymentsLast90Days = 9, DowngradesLast90Days = 9, DaysSinceLastRequest = 99, RequestsLast30Days = 1, SeatsPaid = 20, MembersUsed = 1 })
            .Score.ShouldBe(0, "never under zero");
    }
}
