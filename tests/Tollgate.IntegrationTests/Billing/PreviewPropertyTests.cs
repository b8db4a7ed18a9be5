using System.Text.Json.Nodes;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Billing;

/// <summary>
/// Over a random timeline of changes (plans, quantities, intervals, proration choices, with usage in between, on a test
/// clock), every preview equals the change it previews, to the cent: its invoice and the lines it leaves waiting.
/// </summary>
public abstract class PreviewPropertyTests(TollgateServer server)
{
    [Fact]
    public async Task Every_preview_on_a_random_timeline_equals_the_change_it_previews()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var metric = $"calls_{suffix}";
        var plans = new[] { ("a", 900L, 100), ("b", 2_900L, 1_000), ("c", 9_900L, 5_000) }.Select(p => ($"{p.Item1}_{suffix}", p.Item2, p.Item3)).ToArray();
        var applied = await server.TestAdmin.PostAsync("/api/v1/catalog/apply", new
        {
            metrics = new[] { new { code = metric, name = "Calls", aggregation = "count" } },
            plans = plans.Select(p => new
            {
                code = p.Item1, name = p.Item1,
                prices = new[] { new { interval = "month", currency = "USD", amount = p.Item2 }, new { interval = "year", currency = "USD", amount = p.Item2 * 10 } },
                charges = new[] { new { metric, currency = "USD", model = "per_unit", properties = new { unit_amount = 2, free_units = p.Item3 } } },
            }).ToArray(),
        });
        applied.Status.ShouldBe(HttpStatusCode.OK, applied.Body?.ToJsonString());
        var now = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var clock = (await server.TestAdmin.PostAsync("/api/v1/test-clocks", new { frozen_time = now })).Id;
        var customer = (await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "Random", test_clock_id = clock })).Id;
        var subscription = (await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan = plans[0].Item1 })).Id;
        var prorations = new[] { "invoice_now", "next_invoice", "none" };

        for (var step = 0; step < 8; step++)
        {
            now = now.AddHours(random.Next(1, 24 * 12)).AddSeconds(random.Next(0, 3_600));
            (await server.TestAdmin.PostAsync($"/api/v1/test-clocks/{clock}/advance", new { frozen_time = now })).Status.ShouldBe(HttpStatusCode.OK);
            var events = Enumerable.Range(0, random.Next(0, 400)).Select(_ => new { id = $"e-{Guid.NewGuid():N}", code = metric, customer_id = customer, timestamp = now }).ToArray();
            if (events.Length > 0) (await server.TestAdmin.PostAsync("/api/v1/events/batch", new { events })).Status.ShouldBe(HttpStatusCode.OK);
            var current = (await server.TestAdmin.GetAsync($"/api/v1/subscriptions/{subscription}")).Body!;
            var change = new JsonObject
            {
                ["plan"] = plans[random.Next(plans.Length)].Item1,
                ["quantity"] = random.Next(1, 5),
                ["proration"] = prorations[random.Next(prorations.Length)],
            };
            if (random.Next(5) == 0) change["interval"] = current["interval"]!.GetValue<string>() == "month" ? "year" : "month";

            var preview = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/change", Merge(change, new JsonObject { ["preview"] = true }));
            if (preview.Status != HttpStatusCode.OK)
            {
                preview.Code.ShouldBe("nothing_to_change", $"seed {seed}, step {step}: {preview.Body?.ToJsonString()}");
                continue;
            }

            var done = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/change", Merge(change, new JsonObject { ["proration_date"] = preview.Body!["proration_date"]!.DeepClone() }));
            done.Status.ShouldBe(HttpStatusCode.OK, $"seed {seed}, step {step}: {done.Body?.ToJsonString()}");
            Shape(done.Body!).ShouldBe(Shape(preview.Body!), $"seed {seed}, step {step}, change {change.ToJsonString()}");
        }
    }

    static JsonObject Merge(JsonObject change, JsonObject more)
    {
        var merged = change.DeepClone().AsObject();
        foreach (var (key, value) in more) merged[key] = value?.DeepClone();
        return merged;
    }

    /// <summary>What a preview promises: the invoice's lines and totals, the credit, the lines left waiting, the subscription after.</summary>
    static string Shape(JsonNode change)
    {
        var invoice = change["invoice"];
        var lines = invoice?["lines"]?.AsArray().Select(l => $"{l!["kind"]}:{l["description"]}:{l["quantity"]}:{l["amount"]}") ?? [];
        var totals = invoice is null ? "none" : string.Join(",", new[] { "subtotal", "discount", "tax", "total", "credits_applied", "amount_due" }.Select(f => invoice[f]!.ToJsonString()));
        var waiting = change["pending_items"]!.AsArray().Select(l => $"{l!["kind"]}:{l["description"]}:{l["amount"]}");
        var after = change["subscription"]!;
        return $"{string.Join("|", lines)} / {totals} / {change["balance_credited"]} / {string.Join("|", waiting)} / "
            + $"{after["plan"]}:{after["quantity"]}:{after["interval"]}:{after["current_period_start"]}:{after["current_period_end"]}:{after["usage_from"]}";
    }
}

[Collection(SqliteCollection.Name)]
public sealed class PreviewPropertiesOnSqlite(SqliteServer server) : PreviewPropertyTests(server);

[Collection(PostgresCollection.Name)]
public sealed class PreviewPropertiesOnPostgres(PostgresServer server) : PreviewPropertyTests(server);
