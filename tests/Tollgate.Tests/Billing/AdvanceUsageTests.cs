using Tollgate.Billing.Invoices;
using Tollgate.Billing.Periods;
using Tollgate.Billing.Rating;
using Tollgate.Billing.Subscriptions;
using Tollgate.Catalog;

namespace Tollgate.Tests.Billing;

/// <summary>Usage billed as it accrues: each bill what the usage so far comes to beyond what was billed; the window's end the rest.</summary>
public class AdvanceUsageTests
{
    static readonly BillingPeriod January = new(new(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), new(2027, 2, 1, 0, 0, 0, TimeSpan.Zero));
    static readonly DateTimeOffset MidJanuary = new(2027, 1, 15, 0, 0, 0, TimeSpan.Zero);

    static readonly ChargeProperties Volume = new(Tiers: [new Tier(100, 10), new Tier(null, 5)], PayInAdvance: true);

    static RatedUsage Rated(ChargeModel model, ChargeProperties properties, decimal quantity, bool inAdvance = true) =>
        new("Calls", ChargeRater.Rate(model, properties, new ChargeUsage(quantity)), "calls", quantity, inAdvance);

    static AdvanceBilled Billed(long amount) => new(new Dictionary<string, long> { ["calls"] = amount }, 1);

    static Subscription Subscription() => new()
    {
        Id = "sub_1", CustomerId = "cus_1", Plan = "pro", PlanVersion = 1, Interval = BillingInterval.Month, Currency = "USD", Quantity = 1, UnitAmount = 0,
        Status = SubscriptionStatus.Active, BillingAnchor = January.Start, CurrentPeriodStart = January.Start, CurrentPeriodEnd = January.End,
        CreatedAt = January.Start, UpdatedAt = January.Start,
    };

    [Fact]
    public void The_first_bill_is_all_the_usage_so_far_and_the_next_only_what_accrued_since()
    {
        var perUnit = new ChargeProperties(UnitAmount: 2, PayInAdvance: true);

        var first = SubscriptionInvoices.AdvanceUsageLines(January, MidJanuary, [Rated(ChargeModel.PerUnit, perUnit, 100)], AdvanceBilled.None).ToList();
        var next = SubscriptionInvoices.AdvanceUsageLines(January, MidJanuary, [Rated(ChargeModel.PerUnit, perUnit, 150)], Billed(200)).ToList();

        first.ShouldHaveSingleItem().Line.Amount.ShouldBe(200);
        first[0].Code.ShouldBe("calls");
        first[0].Line.PeriodEnd.ShouldBe(MidJanuary);
        first[0].Line.Detail.ShouldBe(SubscriptionInvoices.UsageInAdvance);
        next.ShouldHaveSingleItem().Line.Amount.ShouldBe(100);
    }

    [Fact]
    public void Usage_that_comes_to_no_more_than_was_billed_bills_nothing_now()
    {
        // Volume: 100 units at 10 came to 1,000; 160 units at 5 come to 800, less than was billed.
        SubscriptionInvoices.AdvanceUsageLines(January, MidJanuary, [Rated(ChargeModel.Volume, Volume, 160)], Billed(1000)).ShouldBeEmpty();
        SubscriptionInvoices.AdvanceUsageLines(January, MidJanuary, [Rated(ChargeModel.Volume, Volume, 100)], Billed(1000)).ShouldBeEmpty();
    }

    [Fact]
    public void Charges_billed_in_arrears_are_never_billed_in_advance()
    {
        SubscriptionInvoices.AdvanceUsageLines(January, MidJanuary, [Rated(ChargeModel.PerUnit, new ChargeProperties(UnitAmount: 2), 100, inAdvance: false)], AdvanceBilled.None)
            .ShouldBeEmpty();
    }

    [Fact]
    public void The_window_end_bills_the_whole_usage_less_what_was_billed_of_it_a_credit_when_less()
    {
        var lines = SubscriptionInvoices.Lines(Subscription(), null, January, [Rated(ChargeModel.Volume, Volume, 160)], null, Billed(1000));

        lines.Select(l => (l.Detail, l.Amount)).ShouldBe([("tier", 800L), (SubscriptionInvoices.BilledInAdvance, -1000L)]);
        lines.Sum(l => l.Amount).ShouldBe(-200);
    }

    [Fact]
    public void Each_bill_and_the_end_add_up_to_the_usage_rated_whole_for_any_sequence_of_runs()
    {
        var random = new Random(20270101);
        var models = new (ChargeModel Model, ChargeProperties Properties)[]
        {
            (ChargeModel.PerUnit, new ChargeProperties(UnitAmount: 0.35m, PayInAdvance: true)),
            (ChargeModel.Graduated, new ChargeProperties(Tiers: [new Tier(10, 7, 100), new Tier(null, 3.3m)], PayInAdvance: true)),
            (ChargeModel.Volume, Volume),
            (ChargeModel.Package, new ChargeProperties(PackageSize: 7, PackageAmount: 90, FreeUnits: 3, PayInAdvance: true)),
        };
        for (var trial = 0; trial < 500; trial++)
        {
            var (model, properties) = models[random.Next(models.Length)];
            var (quantity, billed) = (0m, 0L);
            for (var run = random.Next(0, 8); run > 0; run--)
            {
                quantity += random.Next(0, 40);
                var bill = SubscriptionInvoices.AdvanceUsageLines(January, MidJanuary, [Rated(model, properties, quantity)], Billed(billed)).Sum(a => a.Line.Amount);
                bill.ShouldBeGreaterThanOrEqualTo(0);
                billed += bill;
            }

            quantity += random.Next(0, 40);
            var end = SubscriptionInvoices.Lines(Subscription(), null, January, [Rated(model, properties, quantity)], null, Billed(billed)).Sum(l => l.Amount);
            (billed + end).ShouldBe(ChargeRater.Rate(model, properties, new ChargeUsage(quantity)).Amount, $"{model} at {quantity}");
        }
    }

    [Fact]
    public void A_minimum_commitment_counts_the_usage_billed_in_advance_as_spent()
    {
        var subscription = Subscription();
        var lines = SubscriptionInvoices.Lines(subscription, null, January, [Rated(ChargeModel.PerUnit, new ChargeProperties(UnitAmount: 2, PayInAdvance: true), 300)], null, Billed(400));

        SubscriptionInvoices.CommitmentLine(subscription, 500, January, lines, []).ShouldBeNull(); // 600 spent, 400 of it ahead
        SubscriptionInvoices.CommitmentLine(subscription, 1000, January, lines, [])!.Amount.ShouldBe(400);
    }
}
