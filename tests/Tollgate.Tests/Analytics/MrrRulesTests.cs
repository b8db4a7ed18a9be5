using Tollgate.Analytics.Mrr;
using Tollgate.Billing.Coupons;
using Tollgate.Billing.Subscriptions;
using Tollgate.Catalog;

namespace Tollgate.Tests.Analytics;

public sealed class MrrRulesTests
{
    static readonly DateTimeOffset Jan = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    static Subscription Sub(string id, long unitAmount, BillingInterval interval = BillingInterval.Month, long quantity = 1,
        SubscriptionStatus status = SubscriptionStatus.Active, AppliedCoupon? discount = null, string currency = "USD") => new()
    {
        Id = id, CustomerId = "cus_1", Plan = "pro", PlanVersion = 1, Interval = interval, Currency = currency, Quantity = quantity, UnitAmount = unitAmount,
        Status = status, BillingAnchor = Jan, CurrentPeriodStart = Jan, CurrentPeriodEnd = Jan.AddMonths(1), Discount = discount, CreatedAt = Jan, UpdatedAt = Jan,
    };

    static MrrSnapshot At(DateTimeOffset at, Subscription subscription) => new($"msg_{at.UtcTicks}_{subscription.Id}_{subscription.Status}", at, subscription);

    [Fact]
    public void Stripes_example_100_customers_at_100_a_month_and_50_at_600_a_year_make_12500()
    {
        var monthly = Enumerable.Range(0, 100).Sum(i => MrrRules.Of(Sub($"m{i}", 100_00), Jan));
        var yearly = Enumerable.Range(0, 50).Sum(i => MrrRules.Of(Sub($"y{i}", 600_00, BillingInterval.Year), Jan));
        (monthly + yearly).ShouldBe(12_500_00);
    }

    [Theory]
    [InlineData(SubscriptionStatus.Active, 2900)]
    [InlineData(SubscriptionStatus.PastDue, 2900)]
    [InlineData(SubscriptionStatus.Trialing, 0)]
    [InlineData(SubscriptionStatus.Incomplete, 0)]
    [InlineData(SubscriptionStatus.Paused, 0)]
    [InlineData(SubscriptionStatus.Canceled, 0)]
    public void Only_active_and_past_due_subscriptions_count(SubscriptionStatus status, long mrr) =>
        MrrRules.Of(Sub("s", 2900, status: status), Jan).ShouldBe(mrr);

    [Fact]
    public void Quantity_multiplies_a_free_plan_counts_nothing_and_a_year_is_rounded_once_to_the_nearest_minor_unit()
    {
        MrrRules.Of(Sub("s", 1000, quantity: 7), Jan).ShouldBe(7000);
        MrrRules.Of(Sub("s", 0, quantity: 7), Jan).ShouldBe(0);
        MrrRules.Of(Sub("s", 100, BillingInterval.Year), Jan).ShouldBe(8, "100 / 12 = 8.33");
        MrrRules.Of(Sub("s", 30, BillingInterval.Year), Jan).ShouldBe(3, "30 / 12 = 2.5, half away from zero");
    }

    [Fact]
    public void A_discount_counts_while_it_applies_a_once_coupon_never()
    {
        var repeating = new AppliedCoupon("HALF", 50m, null, CouponDuration.Repeating, Jan.AddMonths(3), false);
        MrrRules.Of(Sub("s", 2000, discount: repeating), Jan).ShouldBe(1000);
        MrrRules.Of(Sub("s", 2000, discount: repeating), Jan.AddMonths(3)).ShouldBe(2000);
        MrrRules.Of(Sub("s", 12_000, BillingInterval.Year, discount: new AppliedCoupon("OFF", null, 2400, CouponDuration.Forever, null, false)), Jan).ShouldBe(800);
        MrrRules.Of(Sub("s", 2000, discount: new AppliedCoupon("ONCE", 50m, null, CouponDuration.Once, null, false)), Jan).ShouldBe(2000);
        MrrRules.Of(Sub("s", 2000, discount: new AppliedCoupon("BIG", null, 5000, CouponDuration.Forever, null, false)), Jan).ShouldBe(0, "never below zero");
    }

    [Fact]
    public void A_customers_life_new_expansion_contraction_churn_and_reactivation()
    {
        var basic = Sub("s1", 1000);
        var movements = MrrRules.Movements("cus_1",
        [
            At(Jan, basic with { Status = SubscriptionStatus.Trialing }),
            At(Jan.AddDays(14), basic), // the trial converts: new
            At(Jan.AddMonths(1), basic with { UnitAmount = 3000 }), // upgrade
            At(Jan.AddMonths(2), Sub("s2", 500)), // a second subscription: expansion
            At(Jan.AddMonths(3), basic with { UnitAmount = 3000, CancelAtPeriodEnd = true }), // scheduled: nothing yet
            At(Jan.AddMonths(4), basic with { UnitAmount = 3000, Status = SubscriptionStatus.Canceled }), // one of two ends: contraction
            At(Jan.AddMonths(5), Sub("s2", 500, status: SubscriptionStatus.Canceled)), // the last ends: churn
            At(Jan.AddMonths(7), Sub("s3", 2000)), // back: reactivation
        ]);

        movements.Select(m => (m.At, m.Kind, m.Amount)).ShouldBe(
        [
            (Jan.AddDays(14), MovementKind.New, 1000L),
            (Jan.AddMonths(1), MovementKind.Expansion, 2000L),
            (Jan.AddMonths(2), MovementKind.Expansion, 500L),
            (Jan.AddMonths(4), MovementKind.Contraction, -3000L),
            (Jan.AddMonths(5), MovementKind.Churn, -500L),
            (Jan.AddMonths(7), MovementKind.Reactivation, 2000L),
        ]);
    }

    [Fact]
    public void A_discount_ending_is_an_expansion_when_it_ends_and_a_change_at_the_same_instant_is_one_movement()
    {
        var half = new AppliedCoupon("HALF", 50m, null, CouponDuration.Repeating, Jan.AddMonths(3), false);
        var movements = MrrRules.Movements("cus_1",
        [
            At(Jan, Sub("s1", 2000, discount: half)),
            At(Jan.AddMonths(5), Sub("s1", 2000, discount: half, status: SubscriptionStatus.Canceled)),
            At(Jan.AddMonths(5), Sub("s2", 2000)), // switched to another subscription at once: no movement
        ]);

        movements.Select(m => (m.At, m.Kind, m.Amount)).ShouldBe([(Jan, MovementKind.New, 1000L), (Jan.AddMonths(3), MovementKind.Expansion, 1000L)]);
    }

    [Fact]
    public void A_past_due_subscription_counts_until_the_dunning_ends_it_or_for_the_set_time()
    {
        MrrSnapshot[] late =
        [
            At(Jan, Sub("s1", 1000)),
            At(Jan.AddDays(10), Sub("s1", 1000, status: SubscriptionStatus.PastDue)),
            At(Jan.AddDays(15), Sub("s1", 1000, status: SubscriptionStatus.PastDue)), // a retry failed again: the same spell
        ];
        MrrRules.Movements("cus_1", late).Select(m => m.Kind).ShouldBe([MovementKind.New], "counted while the dunning goes on");
        MrrRules.Movements("cus_1", late, TimeSpan.FromDays(14)).Select(m => (m.At, m.Kind)).ShouldBe(
            [(Jan, MovementKind.New), (Jan.AddDays(24), MovementKind.Churn)], "14 days after it fell past due");
        MrrRules.Movements("cus_1", [.. late, At(Jan.AddDays(20), Sub("s1", 1000))], TimeSpan.FromDays(14)).Select(m => m.Kind)
            .ShouldBe([MovementKind.New], "paid within the time: it never stopped counting");
        MrrRules.Movements("cus_1", [.. late, At(Jan.AddDays(30), Sub("s1", 1000))], TimeSpan.FromDays(14)).Select(m => (m.At, m.Kind)).ShouldBe(
            [(Jan, MovementKind.New), (Jan.AddDays(24), MovementKind.Churn), (Jan.AddDays(30), MovementKind.Reactivation)]);
    }

    [Fact]
    public void Movements_are_per_currency_and_reconcile_in_any_order_of_snapshots()
    {
        var random = new Random(7);
        for (var run = 0; run < 200; run++)
        {
            var snapshots = Enumerable.Range(0, 12).Select(i => At(Jan.AddDays(random.Next(0, 365)),
                Sub($"s{random.Next(3)}", random.Next(0, 5) * 1000, random.Next(2) == 0 ? BillingInterval.Month : BillingInterval.Year, random.Next(1, 4),
                    (SubscriptionStatus)random.Next(0, 6), currency: random.Next(4) == 0 ? "EUR" : "USD"))).ToList();
            var movements = MrrRules.Movements("cus_1", snapshots.OrderBy(_ => random.Next()));
            foreach (var currency in movements.GroupBy(m => m.Currency))
            {
                var list = currency.ToList();
                for (var i = 1; i < list.Count; i++) list[i].MrrBefore.ShouldBe(list[i - 1].MrrAfter, "each movement starts where the last ended");
                list.Sum(m => m.Amount).ShouldBe(list[^1].MrrAfter, "the sum of the movements is the MRR at the end");
                list.ShouldAllBe(m => m.Amount != 0);
            }
        }
    }
}
