using Tollgate.Analytics.Mrr;

namespace Tollgate.Tests.Analytics;

public sealed class CohortsTests
{
    static DateTimeOffset D(int month, int day) => new(2026, month, day, 0, 0, 0, TimeSpan.Zero);

    static MrrMovement M(string customer, DateTimeOffset at, MovementKind kind, long before, long after) => new(customer, "USD", at, kind, before, after);

    [Fact]
    public void Customers_join_the_cohort_of_their_first_paid_month_and_are_followed_month_by_month()
    {
        var cohorts = Cohorts.Of(
        [
            M("a", D(1, 5), MovementKind.New, 0, 1000),
            M("b", D(1, 20), MovementKind.New, 0, 3000),
            M("b", D(2, 10), MovementKind.Churn, 3000, 0),
            M("a", D(3, 1), MovementKind.Expansion, 1000, 2000),
            M("b", D(3, 15), MovementKind.Reactivation, 0, 3000), // back: still January's cohort
            M("c", D(2, 3), MovementKind.New, 0, 500),
            M("d", D(2, 4), MovementKind.New, 0, 700),
            M("d", D(2, 25), MovementKind.Churn, 700, 0), // left within its own month: in the cohort, not retained
        ], D(3, 20));

        cohorts.Select(c => (c.Month, c.Customers, c.Mrr)).ShouldBe([("2026-01", 2, 4000L), ("2026-02", 2, 500L)]);
        cohorts[0].Retention.Select(m => (m.Month, m.Customers, m.Mrr, m.CustomerRetention, m.MrrRetention)).ShouldBe(
        [
            (0, 2, 4000L, 1m, 1m),
            (1, 1, 1000L, 0.5m, 0.25m),
            (2, 2, 5000L, 1m, 1.25m),
        ]);
        cohorts[1].Retention.Select(m => (m.Month, m.Customers, m.Mrr, m.CustomerRetention)).ShouldBe([(0, 1, 500L, 1m), (1, 1, 500L, 1m)]);
    }

    [Fact]
    public void A_customer_who_never_paid_is_in_no_cohort() =>
        Cohorts.Of([], D(3, 1)).ShouldBeEmpty();
}
