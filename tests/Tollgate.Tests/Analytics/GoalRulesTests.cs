using Tollgate.Analytics.Goals;

namespace Tollgate.Tests.Analytics;

public sealed class GoalRulesTests
{
    static readonly DateTimeOffset Now = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    static Goal Goal(GoalMetric metric, decimal target, double daysLeft) => new("goal_1", "g", metric, "USD", target, Now.AddDays(daysLeft), Now);

    [Fact]
    public void The_trailing_trend_carried_on_to_the_due_date_is_the_forecast()
    {
        // $1,000 MRR now, $700 three months ago: +$100 a month; six months (182.625 days) to the $1,500 target.
        var status = GoalRules.Status(Goal(GoalMetric.Mrr, 150_000, 182.625), 100_000, 70_000, 3, Now);
        (status.TrendPerMonth, status.Forecast, status.RequiredPerMonth, status.Progress).ShouldBe((10_000m, 160_000m, 8_333.333333m, 0.666667m));
        (status.OnTrack, status.Met).ShouldBe((true, false));
    }

    [Fact]
    public void A_trend_short_of_the_trajectory_needed_is_off_track()
    {
        var status = GoalRules.Status(Goal(GoalMetric.PayingCustomers, 125, 91.3125), 80, 74, 3, Now);
        (status.TrendPerMonth, status.Forecast, status.RequiredPerMonth).ShouldBe((2m, 86m, 15m));
        status.OnTrack.ShouldBeFalse();
    }

    [Fact]
    public void Churn_is_a_goal_to_stay_under_and_its_forecast_is_the_last_months_rate()
    {
        var under = GoalRules.Status(Goal(GoalMetric.CustomerChurnRate, 0.03m, 60), 0.025m, 0.04m, 3, Now);
        (under.Forecast, under.OnTrack, under.Met).ShouldBe((0.025m, true, true));
        GoalRules.Status(Goal(GoalMetric.CustomerChurnRate, 0.03m, 60), 0.05m, 0.04m, 3, Now).OnTrack.ShouldBeFalse();
    }

    [Fact]
    public void A_goal_past_its_date_needs_nothing_more_and_forecasts_where_it_is()
    {
        var late = GoalRules.Status(Goal(GoalMetric.Mrr, 150_000, -10), 120_000, 90_000, 3, Now);
        (late.RequiredPerMonth, late.Forecast, late.OnTrack, late.Met).ShouldBe((null, 120_000m, false, false));
        GoalRules.Status(Goal(GoalMetric.Mrr, 0, 30), 0, 0, 3, Now).Progress.ShouldBeNull("no progress toward a target of zero");
    }
}
