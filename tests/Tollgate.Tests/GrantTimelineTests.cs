using Tollgate.Catalog;
using Tollgate.Entitlements.Grants;
using Tollgate.Metering.Queries;

namespace Tollgate.Tests;

/// <summary>Drawing usage from a monthly allowance of 100 and then from grants, the one ending first first.</summary>
public sealed class GrantTimelineTests
{
    const long Allowance = 100;
    static readonly DateTimeOffset Now = At(11, 20);

    static DateTimeOffset At(int month, int day) => new(2026, month, day, 0, 0, 0, TimeSpan.Zero);

    static Period Monthly(DateTimeOffset at) => Periods.Containing(ResetPeriod.Month, at);

    static Grant Grant(string id, long amount, DateTimeOffset effective, DateTimeOffset? expires = null, DateTimeOffset? voided = null) =>
        new(id, "cus_1", "answers", GrantKind.TopUp, amount, effective, expires, voided, null, null, effective);

    /// <summary>Totals the events between the cuts, as the database does, and draws them.</summary>
    static GrantAllocation Draw(IReadOnlyList<Grant> grants, params (DateTimeOffset At, decimal Units)[] events)
    {
        var cuts = GrantTimeline.Cuts(grants, Monthly, Now, all: true);
        var totals = Enumerable.Range(0, Math.Max(0, cuts.Count - 1))
            .Select(i => events.Where(e => e.At >= cuts[i] && e.At < cuts[i + 1]).Sum(e => e.Units)).ToList();
        return GrantTimeline.Allocate(_ => Allowance, grants, Monthly, cuts, totals, Now);
    }

    [Fact]
    public void Without_usage_beyond_the_allowance_a_grant_gives_all_it_has()
    {
        var allocation = Draw([Grant("a", 50, At(11, 5))], (At(11, 6), 90));
        allocation.Remaining["a"].ShouldBe(50);
        allocation.Capacity.ShouldBe(new GrantCapacity(50, 0));
    }

    [Fact]
    public void Usage_beyond_the_allowance_is_drawn_from_the_grant()
    {
        var allocation = Draw([Grant("a", 50, At(11, 1))], (At(11, 2), 60), (At(11, 10), 70));
        allocation.Remaining["a"].ShouldBe(20);
        // 30 given this period and 20 left: the limit is 150, 130 used.
        allocation.Capacity.ShouldBe(new GrantCapacity(50, 0));
    }

    [Fact]
    public void Each_period_draws_from_its_own_allowance_so_a_smaller_share_after_a_plan_change_uses_the_grant_sooner()
    {
        var grants = new[] { Grant("a", 100, At(10, 1)) };
        var cuts = GrantTimeline.Cuts(grants, Monthly, Now, all: true);
        var events = new[] { (At: At(10, 5), Units: 100m), (At: At(11, 5), Units: 80m) };
        var totals = Enumerable.Range(0, cuts.Count - 1).Select(i => events.Where(e => e.At >= cuts[i] && e.At < cuts[i + 1]).Sum(e => e.Units)).ToList();

        // October's allowance is 100; November's only 50 (the plan changed halfway through it).
        var allocation = GrantTimeline.Allocate(p => p.Start.Month == 11 ? 50 : 100, grants, Monthly, cuts, totals, Now);

        allocation.Remaining["a"].ShouldBe(70); // 30 of November's 80 beyond its 50
    }

    [Fact]
    public void A_balance_carries_into_later_periods_and_each_period_uses_its_allowance_first()
    {
        var allocation = Draw([Grant("a", 100, At(9, 15))], (At(9, 20), 130), (At(10, 3), 90), (At(11, 2), 120));
        // September took 30, October nothing (90 is within its allowance), November 20.
        allocation.Remaining["a"].ShouldBe(50);
        allocation.Capacity.ShouldBe(new GrantCapacity(70, 0));
    }

    [Fact]
    public void The_grant_expiring_first_is_drawn_first_and_never_ending_ones_last()
    {
        var grants = new[] { Grant("forever", 100, At(11, 1)), Grant("late", 100, At(11, 1), At(12, 31)), Grant("soon", 100, At(11, 1), At(11, 30)) };
        var allocation = Draw(grants, (At(11, 2), 100 + 150));
        allocation.Remaining["soon"].ShouldBe(0);
        allocation.Remaining["late"].ShouldBe(50);
        allocation.Remaining["forever"].ShouldBe(100);
    }

    [Fact]
    public void What_an_expired_grant_gave_this_period_stays_given_and_its_rest_is_gone()
    {
        var allocation = Draw([Grant("a", 100, At(11, 1), At(11, 15))], (At(11, 10), 140), (At(11, 16), 30));
        allocation.Remaining["a"].ShouldBe(60);
        // The limit is 100 + 40: all 30 used after the expiry is beyond it.
        allocation.Capacity.ShouldBe(new GrantCapacity(40, 30));
    }

    [Fact]
    public void Usage_before_a_grant_takes_effect_draws_nothing_from_it()
    {
        var allocation = Draw([Grant("a", 50, At(11, 10))], (At(11, 2), 130));
        allocation.Remaining["a"].ShouldBe(50);
        // 30 went over before the top-up; the top-up's 50 are all still to use: limit 180, 130 used.
        allocation.Capacity.ShouldBe(new GrantCapacity(50, 30));
    }

    [Fact]
    public void A_voided_grant_gives_nothing_more()
    {
        var allocation = Draw([Grant("a", 50, At(11, 1), voided: At(11, 5))], (At(11, 2), 110), (At(11, 8), 40));
        allocation.Remaining["a"].ShouldBe(40);
        allocation.Capacity.ShouldBe(new GrantCapacity(10, 40));
    }

    [Fact]
    public void Voiding_a_grant_later_does_not_change_what_was_drawn_from_which()
    {
        var soon = Grant("soon", 100, At(11, 1), At(11, 30));
        var late = Grant("late", 100, At(11, 1), At(12, 31), voided: At(11, 19));
        var allocation = Draw([late, soon], (At(11, 2), 160));
        allocation.Remaining["soon"].ShouldBe(40);
        allocation.Remaining["late"].ShouldBe(100);
        allocation.Capacity.ShouldBe(new GrantCapacity(100, 0));
    }

    [Fact]
    public void A_grant_not_yet_in_effect_adds_nothing()
    {
        Draw([Grant("a", 50, At(12, 1))], (At(11, 2), 100)).Capacity.ShouldBe(GrantCapacity.None);
    }

    [Fact]
    public void Grants_that_ended_before_any_grant_bearing_on_this_period_are_not_totalled()
    {
        var grants = new[] { Grant("old", 10, At(3, 1), At(4, 1)), Grant("bridge", 10, At(8, 10), At(10, 10)), Grant("now", 10, At(10, 1)) };
        var cuts = GrantTimeline.Cuts(grants, Monthly, Now);
        cuts[0].ShouldBe(At(8, 1));
        cuts.ShouldBe([At(8, 1), At(8, 10), At(9, 1), At(10, 1), At(10, 10), At(11, 1), At(12, 1)]);
        GrantTimeline.Cuts([Grant("old", 10, At(3, 1), At(4, 1))], Monthly, Now).ShouldBeEmpty();
    }

    [Fact]
    public void Validation_names_every_field_at_fault()
    {
        var now = At(11, 20);
        var quota = new Feature { Id = "f", Code = "answers", Name = "Answers", Type = FeatureType.Quota, Metric = "m", CreatedAt = now, UpdatedAt = now };
        var counting = new Metric { Id = "m", Code = "m", Name = "M", Aggregation = Aggregation.Count, Filters = new Dictionary<string, string[]>(), CreatedAt = now, UpdatedAt = now };
        var failed = GrantRules.Validate(new GrantRequest("answers", 0, ExpiresAt: now.AddDays(1), ExpiresInDays: 5), "cus_1", quota, counting, "g", now);
        failed.Error!.Errors!.Keys.ShouldBe(["amount", "expires_at"], ignoreOrder: true);

        GrantRules.Validate(new GrantRequest("answers", 5, EffectiveAt: now.AddDays(-400)), "cus_1", quota, counting, "g", now).Error!.Errors!.Keys.ShouldBe(["effective_at"]);
        GrantRules.Validate(new GrantRequest("answers", 5, EffectiveAt: DateTimeOffset.MaxValue.AddDays(-1), ExpiresInDays: 30), "cus_1", quota, counting, "g", now)
            .Error!.Errors!.Keys.ShouldBe(["effective_at"]);

        var latest = counting with { Aggregation = Aggregation.Latest };
        GrantRules.Validate(new GrantRequest("answers", 5), "cus_1", quota, latest, "g", now).Error!.Errors!.Keys.ShouldBe(["feature"]);

        var grant = GrantRules.Validate(new GrantRequest("answers", 5, GrantKind.TopUp, ExpiresInDays: 30), "cus_1", quota, counting, "g", now).Value;
        (grant.EffectiveAt, grant.ExpiresAt, grant.Kind).ShouldBe((now, now.AddDays(30), GrantKind.TopUp));
    }
}
