using Tollgate.Catalog;
using Tollgate.Limits;

namespace Tollgate.Tests;

public sealed class LimitRuleTests
{
    static readonly DateTimeOffset At = new(2026, 3, 31, 14, 37, 21, TimeSpan.Zero);

    static Limit Limit(LimitWindow? window, bool anchored = false) => new()
    {
        Id = "lim_1", Scope = LimitScope.Customer, Target = "cus_1", Per = LimitPer.Customer, Measure = LimitMeasure.Requests, Amount = 10,
        Window = window, Anchored = anchored, Enforcement = Enforcement.Hard, Thresholds = [], CreatedAt = At, UpdatedAt = At,
    };

    [Fact]
    public void Defaults_fill_in_per_window_enforcement_and_budget_thresholds()
    {
        var budget = LimitRules.Validate(new LimitRequest(LimitScope.Customer, "cus_1", LimitMeasure.Spend, AmountUsd: 12.5m)).Value;
        (budget.Amount, budget.Window, budget.Per, budget.Enforcement).ShouldBe((12_500_000_000L, LimitWindow.Month, LimitPer.Customer, Enforcement.Hard));
        budget.Thresholds.ShouldBe([50, 80, 100]);

        var rpm = LimitRules.Validate(new LimitRequest(LimitScope.Key, "key_1", LimitMeasure.Requests, Amount: 60)).Value;
        (rpm.Window, rpm.Per, rpm.Thresholds.Count).ShouldBe((LimitWindow.Minute, LimitPer.Key, 0));
    }

    [Theory]
    [InlineData(LimitScope.Customer, LimitMeasure.Spend, 5L, null, null, null, "amount,amount_usd")]
    [InlineData(LimitScope.Customer, LimitMeasure.Spend, null, 5.0, LimitWindow.Minute, null, "window")]
    [InlineData(LimitScope.Customer, LimitMeasure.Concurrent, 5L, null, LimitWindow.Minute, null, "window")]
    [InlineData(LimitScope.Customer, LimitMeasure.Requests, 0L, null, null, null, "amount")]
    [InlineData(LimitScope.Key, LimitMeasure.Requests, 5L, null, null, LimitPer.Customer, "per")]
    [InlineData(LimitScope.Customer, LimitMeasure.Tokens, 5L, 1.0, null, null, "amount_usd")]
    public void Invalid_limits_name_every_wrong_field(LimitScope scope, LimitMeasure measure, long? amount, double? usd, LimitWindow? window, LimitPer? per, string fields)
    {
        var result = LimitRules.Validate(new LimitRequest(scope, "t", measure, amount, (decimal?)usd, per, window));
        result.IsOk.ShouldBeFalse();
        result.Error.Errors!.Keys.ShouldBe(fields.Split(','), ignoreOrder: true);
    }

    [Fact]
    public void Soft_enforcement_anchored_minutes_and_repeated_thresholds_are_refused()
    {
        var result = LimitRules.Validate(new LimitRequest(LimitScope.Plan, "pro", LimitMeasure.Requests, Amount: 5, Window: LimitWindow.Minute,
            Anchored: true, Enforcement: Enforcement.Soft, Thresholds: [80, 80]));
        result.Error!.Errors!.Keys.ShouldBe(["anchored", "enforcement", "thresholds"], ignoreOrder: true);
    }

    [Theory]
    [InlineData(LimitWindow.Minute, "2026-03-31T14:37:00Z", "2026-03-31T14:38:00Z")]
    [InlineData(LimitWindow.Hour, "2026-03-31T14:00:00Z", "2026-03-31T15:00:00Z")]
    [InlineData(LimitWindow.Day, "2026-03-31T00:00:00Z", "2026-04-01T00:00:00Z")]
    [InlineData(LimitWindow.Week, "2026-03-30T00:00:00Z", "2026-04-06T00:00:00Z")]
    [InlineData(LimitWindow.Month, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z")]
    public void Windows_are_calendar_aligned(LimitWindow window, string start, string end)
    {
        var period = LimitRules.PeriodOf(Limit(window), At, At);
        (period.Start, period.End).ShouldBe((DateTimeOffset.Parse(start), DateTimeOffset.Parse(end)));
    }

    [Fact]
    public void An_anchored_month_starts_on_the_anchor_day_and_concurrency_never_resets()
    {
        var anchor = new DateTimeOffset(2026, 1, 15, 9, 0, 0, TimeSpan.Zero);
        var period = LimitRules.PeriodOf(Limit(LimitWindow.Month, anchored: true), At, anchor);
        (period.Start, period.End).ShouldBe((new DateTimeOffset(2026, 3, 15, 9, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 4, 15, 9, 0, 0, TimeSpan.Zero)));
        LimitRules.PeriodOf(Limit(null), At, anchor).ShouldBe(new Tollgate.Metering.Queries.Period(DateTimeOffset.UnixEpoch, DateTimeOffset.MaxValue));
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(20, "20ms")]
    [InlineData(12_000, "12s")]
    [InlineData(12_001, "13s")]
    [InlineData(360_000, "6m0s")]
    [InlineData(3_723_000, "1h2m3s")]
    public void Durations_are_written_as_openai_writes_them(long milliseconds, string expected) =>
        LimitRules.Duration(TimeSpan.FromMilliseconds(milliseconds)).ShouldBe(expected);

    [Theory]
    [InlineData(49.99, "")]
    [InlineData(50, "50")]
    [InlineData(80, "50,80")]
    [InlineData(250, "50,80,100")]
    public void Thresholds_are_reached_at_their_percentage_of_the_limit(double used, string reached) =>
        string.Join(",", Tollgate.Alerts.ThresholdRules.Reached([100, 50, 80], (decimal)used, 100)).ShouldBe(reached);

    [Fact]
    public void A_limit_of_nothing_reaches_no_threshold() =>
        Tollgate.Alerts.ThresholdRules.Reached([50], 10, 0).ShouldBeEmpty();
}

public class CounterSubjectTests
{
    [Fact]
    public void A_counter_subject_reads_back_as_the_subject_it_was_made_from()
    {
        var limit = new Tollgate.Limits.Limit
        {
            Id = "lim_1", Scope = Tollgate.Limits.LimitScope.Key, Target = "key_1", Per = Tollgate.Limits.LimitPer.EndUser, Measure = Tollgate.Limits.LimitMeasure.Tokens,
            Amount = 1, Window = Tollgate.Limits.LimitWindow.Day, Enforcement = Tollgate.Catalog.Enforcement.Hard, Thresholds = [], CreatedAt = default, UpdatedAt = default,
        };
        var made = Tollgate.Limits.LimitSubject.Of(limit, "cus_1", "key_1", "ana/b")!;
        Tollgate.Gateway.Reservations.CounterReconciler.SubjectOf(limit, made.Id).ShouldBe(made);
        var perCustomer = limit with { Scope = Tollgate.Limits.LimitScope.Customer, Target = "cus_1" };
        var ofCustomer = Tollgate.Limits.LimitSubject.Of(perCustomer, "cus_1", "key_1", "ana/b")!;
        Tollgate.Gateway.Reservations.CounterReconciler.SubjectOf(perCustomer, ofCustomer.Id).ShouldBe(ofCustomer);
        var perKey = limit with { Per = Tollgate.Limits.LimitPer.Key };
        Tollgate.Gateway.Reservations.CounterReconciler.SubjectOf(perKey, Tollgate.Limits.LimitSubject.Of(perKey, "cus_1", "key_1", null)!.Id).ShouldBe(new Tollgate.Limits.LimitSubject("key:key_1", null, "key_1", null));
        Tollgate.Gateway.Reservations.CounterReconciler.SubjectOf(perKey, "customer:cus_1").ShouldBeNull();
    }
}
