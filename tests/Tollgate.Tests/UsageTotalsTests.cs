using System.Text.Json.Nodes;
using Tollgate.Catalog;
using Tollgate.Metering;
using Tollgate.Metering.Queries;

namespace Tollgate.Tests;

public class UsageTotalsTests
{
    static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    static readonly Period Month = new(new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), new(2027, 1, 1, 0, 0, 0, TimeSpan.Zero));

    static Metric Metric(Aggregation aggregation, string? field = null, Dictionary<string, string[]>? filters = null) => new()
    {
        Id = "bm_1", Code = "tokens", Name = "Tokens", Event = "gateway", Aggregation = aggregation, Field = field,
        Filters = filters ?? [], CreatedAt = Now, UpdatedAt = Now,
    };

    static StoredUsage Usage(string customer, long tokens, string model = "gpt-4o", DateTimeOffset? at = null, string code = "gateway") =>
        new(customer, code, at ?? Now, () => EventValues.Of(new JsonObject { ["model"] = model, ["total_tokens"] = tokens }));

    static UsageTotals Kept(string customer, decimal total, UsageTotals.Adds adds)
    {
        var totals = new UsageTotals();
        totals.Keep(totals.Begin(customer), "k", total, adds);
        return totals;
    }

    [Fact]
    public void Usage_this_node_stores_is_added_to_the_total_it_falls_in()
    {
        var totals = Kept("cus_1", 100, UsageTotals.OfMetric(Metric(Aggregation.Sum, "total_tokens", new() { ["model"] = ["gpt-4o"] }), Month));

        var storing = totals.BeginStore(["cus_1"]);
        totals.Stored(storing, [Usage("cus_1", 7), Usage("cus_1", 5, model: "other"), Usage("cus_1", 3, at: Month.End), Usage("cus_1", 2, code: "query"), Usage("cus_2", 50)]);

        totals.TryGet("cus_1", "k", out var total).ShouldBeTrue();
        total.ShouldBe(107); // only the matching model, inside the window, of the metric's code, of this customer
    }

    [Fact]
    public void A_total_read_while_usage_of_its_customer_was_being_stored_is_not_kept()
    {
        var totals = new UsageTotals();
        var before = totals.Begin("cus_1");
        var storing = totals.BeginStore(["cus_1"]);
        var during = totals.Begin("cus_1");

        totals.Keep(before, "a", 1, _ => 1);
        totals.Keep(during, "b", 1, _ => 1);
        totals.Stored(storing, [Usage("cus_1", 1)]);
        totals.Keep(during, "c", 1, _ => 1);

        totals.TryGet("cus_1", "a", out _).ShouldBeFalse(); // may not hold what was stored
        totals.TryGet("cus_1", "b", out _).ShouldBeFalse(); // may or may not hold it
        totals.TryGet("cus_1", "c", out _).ShouldBeFalse(); // read before the store settled

        totals.Keep(totals.Begin("cus_1"), "d", 1, _ => 1);
        totals.TryGet("cus_1", "d", out var d).ShouldBeTrue();
        d.ShouldBe(1);
    }

    [Fact]
    public void A_store_whose_outcome_is_unknown_drops_the_customers_totals()
    {
        var totals = Kept("cus_1", 100, _ => 1);
        totals.Keep(totals.Begin("cus_2"), "k", 5, _ => 1);

        totals.Unknown(totals.BeginStore(["cus_1"]));

        totals.TryGet("cus_1", "k", out _).ShouldBeFalse();
        totals.TryGet("cus_2", "k", out var other).ShouldBeTrue();
        other.ShouldBe(5);
    }

    [Fact]
    public void Totals_that_cannot_be_added_to_are_dropped_by_an_event_that_touches_them()
    {
        var max = UsageTotals.OfMetric(Metric(Aggregation.Max, "total_tokens"), Month);
        var unique = UsageTotals.OfMetric(Metric(Aggregation.UniqueCount, "model"), Month);
        var totals = new UsageTotals();
        totals.Keep(totals.Begin("cus_1"), "max", 9, max);
        totals.Keep(totals.Begin("cus_1"), "unique", 2, unique);
        totals.Keep(totals.Begin("cus_1"), "count", 4, UsageTotals.OfMetric(Metric(Aggregation.Count), Month));

        totals.Stored(totals.BeginStore(["cus_1"]), [Usage("cus_1", 3, code: "query")]);
        totals.TryGet("cus_1", "max", out _).ShouldBeTrue(); // another code touches nothing

        totals.Stored(totals.BeginStore(["cus_1"]), [Usage("cus_1", 3)]);
        totals.TryGet("cus_1", "max", out _).ShouldBeFalse();
        totals.TryGet("cus_1", "unique", out _).ShouldBeFalse();
        totals.TryGet("cus_1", "count", out var count).ShouldBeTrue();
        count.ShouldBe(5);
    }

    [Fact]
    public void Another_nodes_usage_drops_the_customers_totals_and_a_catalog_change_drops_everyones()
    {
        var totals = Kept("cus_1", 1, _ => 1);
        totals.Keep(totals.Begin("cus_2"), "k", 1, _ => 1);
        var reading = totals.Begin("cus_3");

        totals.Forget("cus_1");
        totals.TryGet("cus_1", "k", out _).ShouldBeFalse();
        totals.TryGet("cus_2", "k", out _).ShouldBeTrue();

        totals.Forget(null);
        totals.TryGet("cus_2", "k", out _).ShouldBeFalse();
        totals.Keep(reading, "k", 1, _ => 1); // begun before everything was dropped
        totals.TryGet("cus_3", "k", out _).ShouldBeFalse();
    }

    [Fact]
    public void A_customer_dropped_while_its_usage_was_stored_starts_again_after_the_store()
    {
        var totals = new UsageTotals();
        var storing = totals.BeginStore(["cus_1"]);
        totals.Forget("cus_1"); // another node's notification, or eviction
        totals.Keep(totals.Begin("cus_1"), "k", 10, _ => 1); // read in between: may or may not hold the store

        totals.Stored(storing, [Usage("cus_1", 1)]);

        totals.TryGet("cus_1", "k", out _).ShouldBeFalse();
    }
}
