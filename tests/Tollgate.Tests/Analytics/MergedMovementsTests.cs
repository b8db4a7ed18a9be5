using Tollgate.Analytics.Currencies;
using Tollgate.Analytics.Mrr;

namespace Tollgate.Tests.Analytics;

public sealed class MergedMovementsTests
{
    static readonly DateTimeOffset T = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    static MrrMovement M(string customer, string currency, int day, MovementKind kind, long before, long after) => new(customer, currency, T.AddDays(day), kind, before, after);

    // One euro is worth 1.10 dollars; one yen 0.0067 (JPY has no minor unit).
    static long ToUsd(string currency, long minor) => currency switch
    {
        "USD" => minor,
        "EUR" => ExchangeRates.Convert(minor, "EUR", "USD", 1.10m),
        "JPY" => ExchangeRates.Convert(minor, "JPY", "USD", 0.0067m),
        _ => throw new ArgumentOutOfRangeException(nameof(currency)),
    };

    [Fact]
    public void A_customer_paying_in_two_currencies_is_one_customer_with_their_sum()
    {
        var merged = MergedMovements.Of(
            [new CurrencyStanding("a", "USD", 1_000), new CurrencyStanding("a", "EUR", 2_000)], [], "USD", ToUsd);

        merged.Start.ShouldBe(new Dictionary<string, long> { ["a"] = 3_200 });
    }

    [Fact]
    public void Leaving_one_of_two_currencies_is_a_contraction_not_churn()
    {
        var merged = MergedMovements.Of(
            [new CurrencyStanding("a", "USD", 1_000), new CurrencyStanding("a", "EUR", 2_000)],
            [M("a", "EUR", 3, MovementKind.Churn, 2_000, 0), M("a", "USD", 9, MovementKind.Churn, 1_000, 0)], "USD", ToUsd);

        merged.Movements.ShouldBe([
            new MrrMovement("a", "USD", T.AddDays(3), MovementKind.Contraction, 3_200, 1_000),
            new MrrMovement("a", "USD", T.AddDays(9), MovementKind.Churn, 1_000, 0),
        ]);
    }

    [Fact]
    public void A_first_payment_in_a_second_currency_after_churning_in_the_first_is_a_reactivation()
    {
        var merged = MergedMovements.Of(
            [new CurrencyStanding("a", "USD", 0)], [M("a", "EUR", 1, MovementKind.New, 0, 1_000)], "USD", ToUsd);

        merged.Start.ShouldBeEmpty();
        merged.Movements.ShouldHaveSingleItem().ShouldBe(new MrrMovement("a", "USD", T.AddDays(1), MovementKind.Reactivation, 0, 1_100));
    }

    [Fact]
    public void Starting_in_a_second_currency_is_an_expansion_and_two_at_one_instant_make_one_movement()
    {
        var merged = MergedMovements.Of(
            [],
            [
                M("a", "USD", 1, MovementKind.New, 0, 500),
                M("b", "JPY", 1, MovementKind.New, 0, 3_000),
                M("a", "EUR", 1, MovementKind.New, 0, 1_000),
                M("a", "JPY", 2, MovementKind.New, 0, 1_500),
            ], "USD", ToUsd);

        merged.Movements.ShouldBe([
            new MrrMovement("a", "USD", T.AddDays(1), MovementKind.New, 0, 1_600),
            new MrrMovement("b", "USD", T.AddDays(1), MovementKind.New, 0, 2_010), // ¥3,000 at 0.0067: $20.10
            new MrrMovement("a", "USD", T.AddDays(2), MovementKind.Expansion, 1_600, 2_605), // ¥1,500: $10.05
        ]);
    }

    [Fact]
    public void A_movement_that_leaves_the_converted_sum_unchanged_is_no_movement()
    {
        var merged = MergedMovements.Of(
            [new CurrencyStanding("a", "USD", 1_000)],
            [M("a", "USD", 1, MovementKind.Contraction, 1_000, 900), M("a", "EUR", 1, MovementKind.New, 0, 91)], // -$1.00, +€0.91 = +$1.001: $1.00
            "USD", ToUsd);

        merged.Movements.ShouldBeEmpty();
    }
}
