using Tollgate.Billing.Rating;
using Tollgate.Catalog;
using Tollgate.Entitlements;
using Tollgate.Metering.Queries;

namespace Tollgate.Tests;

/// <summary>A quota of a period the plan changed in, and a charge's included amounts over part of a period.</summary>
public sealed class QuotaProrationTests
{
    static readonly Period April = new(new(2027, 4, 1, 0, 0, 0, TimeSpan.Zero), new(2027, 5, 1, 0, 0, 0, TimeSpan.Zero));
    static DateTimeOffset Day(int day) => April.Start.AddDays(day - 1);

    static Entitlement Quota(long? limit, DateTimeOffset? since, params LimitSpan[] earlier) =>
        new(new Feature { Id = "f", Code = "q", Name = "Q", Type = FeatureType.Quota, ResetPeriod = ResetPeriod.Month, CreatedAt = default, UpdatedAt = default },
            null, true, limit, Enforcement.Hard, Entitlement.FromPlan) { PlanSince = since, EarlierPlans = earlier };

    [Fact]
    public void An_upgrade_halfway_gives_half_of_each_plans_limit()
    {
        Quota(1000, Day(16), new LimitSpan(Day(1), 100)).Over(April).Limit.ShouldBe(550);
    }

    [Fact]
    public void A_quota_taken_over_its_period_is_that_periods_and_taking_it_over_again_changes_nothing()
    {
        var once = Quota(1000, Day(16), new LimitSpan(Day(1), 100)).Over(April);

        once.Over(April).Limit.ShouldBe(550); // not blended a second time (550 would become 325)
    }

    [Fact]
    public void An_upgrade_on_the_last_day_gives_almost_nothing_of_the_larger_quota()
    {
        // 29 days of 100 and one of 1,000, in a 30-day month: 96.67 + 33.33 = 130.
        Quota(1000, Day(30), new LimitSpan(Day(1), 100)).Over(April).Limit.ShouldBe(130);
    }

    [Fact]
    public void A_downgrade_keeps_what_the_larger_plan_gave_until_then()
    {
        Quota(100, Day(16), new LimitSpan(Day(1), 1000)).Over(April).Limit.ShouldBe(550);
    }

    [Fact]
    public void Two_changes_in_one_period_count_each_plan_for_its_own_time()
    {
        // 10 days of 300, 10 of 600, 10 of 900: 100 + 200 + 300.
        Quota(900, Day(21), new LimitSpan(Day(1), 300), new LimitSpan(Day(11), 600)).Over(April).Limit.ShouldBe(600);
    }

    [Fact]
    public void A_version_with_the_same_limit_changes_nothing_to_the_unit()
    {
        Quota(1000, April.Start.AddTicks(7_777_777_777), new LimitSpan(Day(1), 1000)).Over(April).Limit.ShouldBe(1000);
    }

    [Fact]
    public void A_change_in_an_earlier_period_an_unlimited_quota_and_an_earlier_unlimited_plan_leave_the_limit_alone()
    {
        Quota(1000, Day(1).AddDays(-5), new LimitSpan(Day(1).AddDays(-40), 100)).Over(April).Limit.ShouldBe(1000);
        Quota(null, Day(16), new LimitSpan(Day(1), 100)).Over(April).Limit.ShouldBeNull();
        Quota(1000, Day(16), new LimitSpan(Day(1), null)).Over(April).Limit.ShouldBe(1000);
    }

    [Fact]
    public void A_charge_over_part_of_a_period_includes_its_share_rounded_down()
    {
        var properties = new ChargeProperties(UnitAmount: 1, FreeUnits: 1000, FixedAmount: 300, MinimumAmount: 1001);
        var third = ChargeRater.ForShare(properties, 1m / 3);
        (third.FreeUnits, third.MinimumAmount).ShouldBe((333L, 333L));
        third.FixedAmount!.Value.ShouldBe(100m, 0.0000001m);
        ChargeRater.ForShare(properties, 1m).ShouldBe(properties);
    }
}
