using Tollgate.Billing;
using Tollgate.Billing.Rating;
using Tollgate.Catalog;

namespace Tollgate.Tests.Billing;

public class ChargeRaterTests
{
    static RatedCharge Rate(ChargeModel model, ChargeProperties properties, decimal quantity, long events = 0, IReadOnlyList<decimal>? values = null) =>
        ChargeRater.Rate(model, properties, new ChargeUsage(quantity, events, values));

    // Stripe's volume example: 1–5 at $7, 6–10 at $6.50, 11+ at $6 (amounts in cents).
    static readonly ChargeProperties StripeVolume = new(Tiers: [new Tier(5, 700), new Tier(10, 650), new Tier(null, 600)]);

    [Theory]
    [InlineData(1, 700)]
    [InlineData(5, 3500)]
    [InlineData(6, 3900)]
    [InlineData(20, 12000)]
    [InlineData(25, 15000)]
    [InlineData(0, 0)]
    public void Volume_prices_every_unit_at_the_tier_the_quantity_reaches_as_in_stripes_example(int quantity, long amount)
    {
        var rated = Rate(ChargeModel.Volume, StripeVolume, quantity);

        rated.Amount.ShouldBe(amount);
        rated.Lines.Count.ShouldBe(quantity == 0 ? 0 : 1);
    }

    [Theory]
    [InlineData(1, 700)]
    [InlineData(5, 3500)]
    [InlineData(6, 4150)]          // 5 × 7 + 1 × 6.50
    [InlineData(20, 12750)]        // 5 × 7 + 5 × 6.50 + 10 × 6
    public void Graduated_prices_each_unit_at_the_tier_it_falls_in(int quantity, long amount)
    {
        var rated = Rate(ChargeModel.Graduated, StripeVolume, quantity);

        rated.Amount.ShouldBe(amount);
        rated.Lines.Sum(l => l.Quantity).ShouldBe(quantity);
    }

    [Fact]
    public void A_tiers_flat_amount_is_charged_once_when_the_quantity_enters_it()
    {
        var tiers = new ChargeProperties(Tiers: [new Tier(10, 0, FlatAmount: 1000), new Tier(null, 50, FlatAmount: 200)]);

        Rate(ChargeModel.Graduated, tiers, 0).Amount.ShouldBe(0);
        Rate(ChargeModel.Graduated, tiers, 10).Amount.ShouldBe(1000);
        Rate(ChargeModel.Graduated, tiers, 11).Amount.ShouldBe(1000 + 200 + 50);
        Rate(ChargeModel.Volume, tiers, 11).Amount.ShouldBe(11 * 50 + 200);
    }

    [Fact]
    public void Per_unit_charges_what_is_above_the_free_units_and_rounds_each_line_half_away_from_zero()
    {
        var rated = Rate(ChargeModel.PerUnit, new ChargeProperties(UnitAmount: 0.5m, FreeUnits: 1000), 1005);

        rated.Amount.ShouldBe(3); // 5 × 0.5 = 2.5 → 3
        rated.Lines.ShouldHaveSingleItem().Quantity.ShouldBe(5);
        Rate(ChargeModel.PerUnit, new ChargeProperties(UnitAmount: 0.5m, FreeUnits: 1000), 999).Lines.ShouldBeEmpty();
        MinorUnits.Round(-2.5m).ShouldBe(-3);
        MinorUnits.Round(2.4999m).ShouldBe(2);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(100, 0)]       // within the free units
    [InlineData(101, 500)]     // one started package
    [InlineData(1100, 500)]
    [InlineData(1101, 1000)]
    public void Package_charges_each_started_package_above_the_free_units(int quantity, long amount) =>
        Rate(ChargeModel.Package, new ChargeProperties(PackageSize: 1000, PackageAmount: 500, FreeUnits: 100), quantity).Amount.ShouldBe(amount);

    [Fact]
    public void Flat_charges_its_fixed_amount_whatever_the_usage()
    {
        Rate(ChargeModel.Flat, new ChargeProperties(FixedAmount: 4900), 0).Amount.ShouldBe(4900);
        Rate(ChargeModel.Flat, new ChargeProperties(FixedAmount: 4900), 1_000_000).Amount.ShouldBe(4900);
    }

    [Fact]
    public void Percentage_takes_a_rate_of_the_amount_above_the_free_units_plus_a_fee_per_event_after_the_free_events()
    {
        // 2.9% + 30¢ on $1,000 over 10 payments, the first $100 and the first 2 payments free of their parts.
        var rated = Rate(ChargeModel.Percentage, new ChargeProperties(Rate: 2.9m, PerEventFee: 30, FreeUnits: 10_000, FreeEvents: 2), 100_000, events: 10);

        rated.Lines.Select(l => (l.Kind, l.Amount)).ShouldBe([(LineKind.Rate, 2610), (LineKind.EventFees, 240)]); // 90,000 × 2.9%; 8 × 30
        rated.Amount.ShouldBe(2850);
    }

    [Fact]
    public void Percentage_with_per_event_bounds_charges_every_event_on_its_own()
    {
        // 1% + 10 per event, each between 50 and 500: 1,000 → 50 (min), 20,000 → 210, 100,000 → 500 (max).
        var properties = new ChargeProperties(Rate: 1, PerEventFee: 10, PerEventMinimum: 50, PerEventMaximum: 500);

        var rated = Rate(ChargeModel.Percentage, properties, 121_000, 3, [1_000, 20_000, 100_000]);

        rated.Amount.ShouldBe(50 + 210 + 500);
        rated.Lines.ShouldHaveSingleItem().Kind.ShouldBe(LineKind.Events);
        Rate(ChargeModel.Percentage, properties with { FreeEvents = 1 }, 121_000, 3, [1_000, 20_000, 100_000]).Amount.ShouldBe(210 + 500);
        Rate(ChargeModel.Percentage, properties with { FreeUnits = 21_000 }, 121_000, 3, [1_000, 20_000, 100_000]).Amount.ShouldBe(50 + 50 + 500); // both small events wholly free of the rate, still at the minimum
    }

    [Fact]
    public void Graduated_percentage_takes_each_tiers_rate_of_its_share_and_its_flat_fee_once_entered()
    {
        // 2% of the first $1,000 (plus 25¢ once), 1% of the rest up to $10,000, 0.5% above (plus $1 once).
        var properties = new ChargeProperties(Tiers: [new Tier(100_000, null, 25, Rate: 2), new Tier(1_000_000, null, Rate: 1), new Tier(null, null, 100, Rate: 0.5m)]);

        Rate(ChargeModel.GraduatedPercentage, properties, 0).Amount.ShouldBe(0);
        Rate(ChargeModel.GraduatedPercentage, properties, 50_000).Amount.ShouldBe(1000 + 25);
        Rate(ChargeModel.GraduatedPercentage, properties, 2_000_000).Amount.ShouldBe(2000 + 25 + 9000 + 5000 + 100);
        Rate(ChargeModel.GraduatedPercentage, properties, 2_000_000).Lines.Select(l => l.Amount).ShouldBe([2025, 9000, 5100]);
    }

    [Fact]
    public void A_minimum_commitment_is_trued_up_by_a_line_of_its_own()
    {
        var properties = new ChargeProperties(UnitAmount: 10, MinimumAmount: 5000);

        var low = Rate(ChargeModel.PerUnit, properties, 120);
        low.Lines.Select(l => (l.Kind, l.Amount)).ShouldBe([(LineKind.Units, 1200), (LineKind.Minimum, 3800)]);
        low.Amount.ShouldBe(5000);
        Rate(ChargeModel.PerUnit, properties, 0).Amount.ShouldBe(5000);
        Rate(ChargeModel.PerUnit, properties, 600).Lines.ShouldHaveSingleItem().Amount.ShouldBe(6000);
    }

    [Fact]
    public void A_fixed_amount_per_period_is_added_to_any_model()
    {
        var rated = Rate(ChargeModel.PerUnit, new ChargeProperties(UnitAmount: 2, FixedAmount: 999.5m), 10);

        rated.Lines.Select(l => (l.Kind, l.Amount)).ShouldBe([(LineKind.Units, 20), (LineKind.Fixed, 1000)]);
    }

    [Fact]
    public void An_amount_too_large_for_a_long_throws_rather_than_wrapping() =>
        Should.Throw<OverflowException>(() => Rate(ChargeModel.PerUnit, new ChargeProperties(UnitAmount: 1_000_000_000_000), 1_000_000_000_000_000));

    [Fact]
    public void Lines_always_sum_to_the_amount_and_are_never_negative_on_random_charges()
    {
        var random = new Random(14);
        for (var round = 0; round < 5_000; round++)
        {
            var (model, properties) = RandomCharge(random);
            var quantity = random.Next(4) switch { 0 => 0m, 1 => random.Next(1, 100), 2 => random.Next(1, 10_000_000), _ => random.Next(1, 100_000) + random.Next(1000) / 1000m };

            var rated = Rate(model, properties, quantity, random.Next(0, 1000));

            rated.Lines.Sum(l => l.Amount).ShouldBe(rated.Amount);
            rated.Lines.ShouldAllBe(l => l.Amount >= 0);
            if (properties.MinimumAmount is { } minimum) rated.Amount.ShouldBeGreaterThanOrEqualTo(minimum);
            if (model is ChargeModel.Graduated or ChargeModel.GraduatedPercentage)
                rated.Lines.Where(l => l.Kind == LineKind.Tier).Sum(l => l.Quantity).ShouldBe(Math.Max(0, quantity - (properties.FreeUnits ?? 0)));
        }
    }

    [Fact]
    public void Graduated_never_charges_less_for_more_units()
    {
        var random = new Random(15);
        for (var round = 0; round < 500; round++)
        {
            var properties = new ChargeProperties(Tiers: RandomTiers(random, percent: false));
            var previous = 0L;
            foreach (var quantity in new[] { 1, 10, 100, 1_000, 10_000, 100_000, 1_000_000 })
            {
                var amount = Rate(ChargeModel.Graduated, properties, quantity).Amount;
                amount.ShouldBeGreaterThanOrEqualTo(previous);
                previous = amount;
            }
        }
    }

    internal static (ChargeModel, ChargeProperties) RandomCharge(Random random)
    {
        long? Maybe(long most) => random.Next(3) == 0 ? random.NextInt64(0, most) : null;
        var model = (ChargeModel)random.Next(Enum.GetValues<ChargeModel>().Length);
        var common = new ChargeProperties(MinimumAmount: Maybe(100_000), FixedAmount: random.Next(4) == 0 ? random.Next(0, 100_000) / 10m : null);
        var properties = model switch
        {
            ChargeModel.Flat => common with { FixedAmount = random.Next(0, 100_000) },
            ChargeModel.PerUnit => common with { UnitAmount = random.Next(0, 10_000) / 100m, FreeUnits = Maybe(1000) },
            ChargeModel.Graduated or ChargeModel.Volume => common with { Tiers = RandomTiers(random, percent: false), FreeUnits = Maybe(1000) },
            ChargeModel.GraduatedPercentage => common with { Tiers = RandomTiers(random, percent: true) },
            ChargeModel.Package => common with { PackageSize = random.Next(1, 10_000), PackageAmount = random.Next(0, 100_000), FreeUnits = Maybe(1000) },
            _ => common with { Rate = random.Next(0, 10_001) / 100m, PerEventFee = random.Next(3) == 0 ? random.Next(0, 100) : null, FreeEvents = Maybe(10), FreeUnits = Maybe(1000) },
        };
        return (model, properties);
    }

    static List<Tier> RandomTiers(Random random, bool percent)
    {
        var tiers = new List<Tier>();
        long upTo = 0;
        for (var i = random.Next(1, 5); i > 0; i--)
        {
            upTo += random.Next(1, 100_000);
            tiers.Add(Tier(upTo));
        }

        tiers.Add(Tier(null));
        return tiers;

        Tier Tier(long? end) => percent
            ? new Tier(end, null, random.Next(2) == 0 ? random.Next(0, 1000) : null, random.Next(0, 10_001) / 100m)
            : new Tier(end, random.Next(0, 100_000) / 100m, random.Next(3) == 0 ? random.Next(0, 1000) : null);
    }
}
