using Tollgate.Catalog;
using Tollgate.Entitlements;
using Tollgate.Counters;

namespace Tollgate.Tests;

public sealed class EntitlementRuleTests
{
    static Feature Feature(FeatureType type) => new()
    {
        Id = "f", Code = "f", Name = "F", Type = type, ResetPeriod = type == FeatureType.Quota ? ResetPeriod.Month : null,
        CreatedAt = default, UpdatedAt = default,
    };

    static Entitlement Granted(FeatureType type, long? limit, Enforcement enforcement = Enforcement.Hard, bool enabled = true) =>
        new(Feature(type), null, enabled, limit, enforcement, Entitlement.FromPlan);

    [Theory]
    [InlineData(Enforcement.Hard, 99, 1, true, "within_limit")]
    [InlineData(Enforcement.Hard, 100, 1, false, "limit_reached")]
    [InlineData(Enforcement.Soft, 100, 1, true, "over_limit_billed")]
    [InlineData(Enforcement.Notify, 150, 5, true, "over_limit_notified")]
    [InlineData(Enforcement.Hard, 100, 0, true, "within_limit")]
    public void Quotas_enforce_by_mode(Enforcement enforcement, long used, long quantity, bool allowed, string reason)
    {
        var decision = EntitlementRules.Decide(Feature(FeatureType.Quota), Granted(FeatureType.Quota, 100, enforcement), used, quantity, DateTimeOffset.UnixEpoch);
        (decision.Allowed, decision.Reason).ShouldBe((allowed, reason));
        decision.Remaining.ShouldBe(Math.Max(0, 100 - used));
    }

    [Fact]
    public void Missing_disabled_and_unlimited_features_answer_with_their_reason()
    {
        EntitlementRules.Decide(Feature(FeatureType.Boolean), null, 0, 1, null).Reason.ShouldBe("not_in_plan");
        EntitlementRules.Decide(Feature(FeatureType.Boolean), Granted(FeatureType.Boolean, null, enabled: false), 0, 1, null).Reason.ShouldBe("disabled");
        var unlimited = EntitlementRules.Decide(Feature(FeatureType.Limit), Granted(FeatureType.Limit, null), 1_000_000, 1, null);
        (unlimited.Allowed, unlimited.Reason, unlimited.Unlimited).ShouldBe((true, "unlimited", true));
    }

    [Fact]
    public void An_override_keeps_what_it_does_not_change()
    {
        var plan = Granted(FeatureType.Quota, 100, Enforcement.Soft);
        var limitOnly = EntitlementRules.Apply(plan.Feature, null, plan, new EntitlementOverride("c", "f", null, 500, false, null, null, default));
        (limitOnly.Limit, limitOnly.Enforcement, limitOnly.Source).ShouldBe((500L, Enforcement.Soft, "override"));
        var unlimited = EntitlementRules.Apply(plan.Feature, null, plan, new EntitlementOverride("c", "f", null, null, true, null, null, default));
        unlimited.Unlimited.ShouldBeTrue();
        // Granting a quota the plan lacks without a limit grants nothing until one is set.
        EntitlementRules.Apply(plan.Feature, null, null, new EntitlementOverride("c", "f", true, null, false, null, null, default)).EffectiveLimit.ShouldBe(0);
    }

    [Theory]
    [InlineData(100, 0, 1, 16)]    // at least 16 ahead
    [InlineData(1000, 0, 1, 50)]   // a twentieth of the limit ahead
    [InlineData(10, 0, 1, 5)]      // a small limit: half of what is free
    [InlineData(10, 5, 1, 3)]
    [InlineData(100, 96, 1, 1)]    // near the limit, a quarter of what is free, at least what is needed
    [InlineData(100, 99, 1, 1)]
    [InlineData(100, 100, 1, 0)]   // nothing free
    [InlineData(100, 98, 5, 0)]    // not enough free for the need: nothing, not a part
    [InlineData(1_000_000, 0, 4_000, 50_000)]
    public void Lease_chunks_shrink_near_the_limit(long limit, long allocated, long need, long expected)
    {
        CounterStore.Chunk(limit, allocated, need).ShouldBe(expected);
    }

    [Theory]
    [InlineData(5, 3)]
    [InlineData(10, 4)]
    [InlineData(60, 7)]
    [InlineData(1000, 40)]
    public void A_small_limit_is_not_a_round_trip_per_request(long limit, int mostTrips)
    {
        var (allocated, trips) = (0L, 0);
        while (allocated < limit)
        {
            allocated += CounterStore.Chunk(limit, allocated, 1);
            trips++;
        }

        trips.ShouldBeLessThanOrEqualTo(mostTrips);
    }
}
