using Tollgate.Billing.Periods;
using Tollgate.Catalog;

namespace Tollgate.Tests.Billing;

public class PeriodTests
{
    static DateTimeOffset Utc(int y, int m, int d, int h = 0, int min = 0, int s = 0) => new(y, m, d, h, min, s, TimeSpan.Zero);

    [Fact]
    public void A_monthly_anchor_on_the_31st_bills_on_the_last_day_of_shorter_months_and_never_drifts()
    {
        var anchor = Utc(2026, 1, 31, 10);

        Enumerable.Range(0, 4).Select(i => BillingPeriod.Numbered(anchor, BillingInterval.Month, i).Start)
            .ShouldBe([Utc(2026, 1, 31, 10), Utc(2026, 2, 28, 10), Utc(2026, 3, 31, 10), Utc(2026, 4, 30, 10)]);
    }

    [Fact]
    public void A_yearly_anchor_on_the_29th_of_february_bills_on_the_28th_in_other_years()
    {
        var anchor = Utc(2028, 2, 29);

        BillingPeriod.Numbered(anchor, BillingInterval.Year, 1).ShouldBe(new BillingPeriod(Utc(2029, 2, 28), Utc(2030, 2, 28)));
        BillingPeriod.Numbered(anchor, BillingInterval.Year, 4).Start.ShouldBe(Utc(2032, 2, 29));
    }

    [Fact]
    public void The_period_at_an_instant_holds_it_and_its_ends_are_half_open()
    {
        var anchor = Utc(2026, 1, 31, 10);
        var random = new Random(3);
        for (var i = 0; i < 2_000; i++)
        {
            var instant = anchor.AddSeconds(random.NextInt64(0, 10L * 365 * 86_400));
            var interval = random.Next(2) == 0 ? BillingInterval.Month : BillingInterval.Year;

            var period = BillingPeriod.At(anchor, interval, instant);

            period.Contains(instant).ShouldBeTrue($"{instant} in {period}");
            BillingPeriod.At(anchor, interval, period.End).Start.ShouldBe(period.End);
        }
    }

    [Fact]
    public void Stripes_example_a_10_dollar_plan_changed_to_20_halfway_credits_5_and_charges_10()
    {
        var period = new BillingPeriod(Utc(2026, 4, 1), Utc(2026, 5, 1)); // 30 days
        var lines = Proration.For(period, Utc(2026, 4, 16), 1_000, 1, 2_000, 1, "Basic", "Pro");

        lines.Select(l => (l.Kind, l.Amount)).ShouldBe([(ProrationKind.UnusedTime, -500), (ProrationKind.RemainingTime, 1_000)]);
        lines.Sum(l => l.Amount).ShouldBe(500);
    }

    [Fact]
    public void Proration_is_to_the_second_and_a_quantity_change_prorates_the_difference()
    {
        var period = new BillingPeriod(Utc(2026, 4, 1), Utc(2026, 5, 1)); // 2,592,000 s
        var lines = Proration.For(period, Utc(2026, 4, 30, 23, 59, 59), 100_000, 3, 100_000, 5, "Team seat", "Team seat");

        // One second left of 2,592,000: 300,000 × 1/2,592,000 = 0.116 → 0; 500,000 × … = 0.193 → 0.
        lines.Sum(l => l.Amount).ShouldBe(0);
        Proration.For(period, Utc(2026, 4, 11), 100_000, 3, 100_000, 5, "Team seat", "Team seat")
            .Select(l => l.Amount).ShouldBe([-200_000, 333_333]); // two thirds left: 300,000 × ⅔ and 500,000 × ⅔
    }

    [Fact]
    public void A_change_at_the_start_of_the_period_or_outside_it_prorates_nothing()
    {
        var period = new BillingPeriod(Utc(2026, 4, 1), Utc(2026, 5, 1));

        Proration.For(period, period.Start, 1_000, 1, 2_000, 1, "a", "b").ShouldBeEmpty();
        Proration.For(period, period.End, 1_000, 1, 2_000, 1, "a", "b").ShouldBeEmpty();
    }

    [Fact]
    public void Changing_to_the_same_price_nets_to_zero_whenever_it_happens()
    {
        var period = new BillingPeriod(Utc(2026, 1, 31), Utc(2026, 2, 28));
        var random = new Random(9);
        for (var i = 0; i < 1_000; i++)
        {
            var at = period.Start.AddSeconds(random.NextInt64(1, (long)period.Length.TotalSeconds));
            var price = random.NextInt64(1, 1_000_000);
            Proration.For(period, at, price, 2, price, 2, "x", "x").Sum(l => l.Amount).ShouldBe(0);
        }
    }
}
