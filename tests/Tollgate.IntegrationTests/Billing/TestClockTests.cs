using System.Text.Json.Nodes;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Billing;

public abstract class TestClockTests(TollgateServer server)
{
    static string Code(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..24];

    static DateTimeOffset At(int year, int month, int day) => new(year, month, day, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Basic at $10 a month with 100 API calls included and 1¢ a call beyond; Pro at $30 with 1,000 included.</summary>
    async Task<(string Basic, string Pro, string Metric)> CatalogAsync()
    {
        var (basic, pro, metric) = (Code("basic"), Code("pro"), Code("calls"));
        object Plan(string code, long monthly, int included) => new
        {
            code, name = code, trial_days = 14,
            prices = new[] { new { interval = "month", currency = "USD", amount = monthly } },
            charges = new[] { new { metric, currency = "USD", model = "per_unit", properties = new { unit_amount = 1, free_units = included } } },
        };
        var applied = await server.TestAdmin.PostAsync("/api/v1/catalog/apply", new
        {
            metrics = new[] { new { code = metric, name = "API calls", aggregation = "count" } },
            plans = new[] { Plan(basic, 1000, 100), Plan(pro, 3000, 1000) },
        });
        applied.Status.ShouldBe(HttpStatusCode.OK, applied.Body?.ToJsonString());
        return (basic, pro, metric);
    }

    async Task<string> ClockAsync(DateTimeOffset at)
    {
        var clock = await server.TestAdmin.PostAsync("/api/v1/test-clocks", new { frozen_time = at, name = "A year" });
        clock.Status.ShouldBe(HttpStatusCode.Created, clock.Body?.ToJsonString());
        return clock.Id;
    }

    async Task<JsonNode> AdvanceAsync(string clock, DateTimeOffset to)
    {
        var advanced = await server.TestAdmin.PostAsync($"/api/v1/test-clocks/{clock}/advance", new { frozen_time = to });
        advanced.Status.ShouldBe(HttpStatusCode.OK, advanced.Body?.ToJsonString());
        advanced.Body!["status"]!.GetValue<string>().ShouldBe("ready");
        advanced.Body["advance"]!["failed"]!.AsArray().ShouldBeEmpty();
        return advanced.Body;
    }

    async Task CallsAsync(string customer, string metric, int count, DateTimeOffset at)
    {
        foreach (var events in Enumerable.Range(0, count).Select(_ => new { id = $"evt-{Guid.NewGuid():N}", code = metric, customer_id = customer, timestamp = at }).Chunk(1000))
        {
            var posted = await server.TestAdmin.PostAsync("/api/v1/events/batch", new { events });
            posted.Status.ShouldBe(HttpStatusCode.OK, posted.Body?.ToJsonString());
            posted.Body!["accepted"]!.GetValue<int>().ShouldBe(events.Length, posted.Body.ToJsonString());
        }
    }

    async Task<List<JsonNode>> InvoicesAsync(string subscription) =>
        [.. (await server.TestAdmin.GetAsync($"/api/v1/invoices?subscription_id={subscription}&limit=100")).Data.Select(i => i!).OrderBy(i => i["number"]!.GetValue<string>())];

    static (string Reason, long Total, long Due, string Status) Summary(JsonNode invoice) =>
        (invoice["billing_reason"]!.GetValue<string>(), invoice["total"]!.GetValue<long>(), invoice["amount_due"]!.GetValue<long>(), invoice["status"]!.GetValue<string>());

    static IEnumerable<(string, long)> Lines(JsonNode invoice) =>
        invoice["lines"]!.AsArray().Where(l => l!["amount"]!.GetValue<long>() != 0).Select(l => (l!["kind"]!.GetValue<string>(), l["amount"]!.GetValue<long>()));

    async Task<string> StatusAsync(string subscription) =>
        (await server.TestAdmin.GetAsync($"/api/v1/subscriptions/{subscription}")).Body!["status"]!.GetValue<string>();

    async Task PayAsync(JsonNode invoice) =>
        (await server.TestAdmin.PostAsync($"/api/v1/invoices/{invoice["id"]!.GetValue<string>()}/pay")).Status.ShouldBe(HttpStatusCode.OK);

    [Fact]
    public async Task A_customers_year_on_a_test_clock_is_billed_to_the_cent_trial_upgrade_overage_downgrade_failed_payment_recovery_and_cancel()
    {
        var (basic, pro, metric) = await CatalogAsync();
        var clock = await ClockAsync(At(2027, 3, 1));
        var customer = await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "A year on a clock", test_clock_id = clock });
        customer.Body!["test_clock_id"]!.GetValue<string>().ShouldBe(clock);
        var created = await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = customer.Id, plan = basic });
        created.Status.ShouldBe(HttpStatusCode.Created, created.Body?.ToJsonString());
        var subscription = created.Id;
        (created.Str("status"), created.Str("trial_end")).ShouldBe(("trialing", "2027-03-15T00:00:00+00:00")); // the clock's time, not the server's

        // The trial: told three days before it ends, nothing billed until it ends; then the first month.
        var warned = await AdvanceAsync(clock, At(2027, 3, 13));
        (await InvoicesAsync(subscription)).ShouldBeEmpty();
        warned["frozen_time"]!.GetValue<string>().ShouldBe("2027-03-13T00:00:00+00:00");
        await AdvanceAsync(clock, At(2027, 3, 20));
        var first = (await InvoicesAsync(subscription)).Single();
        Summary(first).ShouldBe(("subscription_cycle", 1000L, 1000L, "open"));
        first["period_start"]!.GetValue<string>().ShouldBe("2027-03-15T00:00:00+00:00");
        await PayAsync(first);

        // 250 calls in the first month: 150 beyond the 100 included, at 1¢, on the renewal with the second month.
        await CallsAsync(customer.Id, metric, 250, At(2027, 3, 20));
        await AdvanceAsync(clock, At(2027, 4, 16));
        var second = (await InvoicesAsync(subscription))[1];
        Lines(second).ShouldBe([("usage", 150L), ("subscription", 1000L)], ignoreOrder: true);
        Summary(second).ShouldBe(("subscription_cycle", 1150L, 1150L, "open"));
        await PayAsync(second);

        // Upgraded to Pro halfway through the 30-day month: $5 back, $15 for the rest, $10 due at once.
        await AdvanceAsync(clock, At(2027, 4, 30));
        var upgrade = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/change", new { plan = pro, proration = "invoice_now" });
        upgrade.Status.ShouldBe(HttpStatusCode.OK, upgrade.Body?.ToJsonString());
        Lines(upgrade.Body!["invoice"]!).ShouldBe([("proration", -500L), ("proration", 1500L)]);
        Summary(upgrade.Body["invoice"]!).ShouldBe(("subscription_update", 1000L, 1000L, "open"));
        await PayAsync(upgrade.Body["invoice"]!);

        // 1,200 calls on Pro, which was taken for the half of the month left, so includes half its 1,000: 700 beyond, on
        // the renewal with Pro's next month (upgrading late cannot farm a whole month's included calls).
        await AdvanceAsync(clock, At(2027, 5, 1));
        await CallsAsync(customer.Id, metric, 1200, At(2027, 5, 1));
        await AdvanceAsync(clock, At(2027, 5, 20));
        var fourth = (await InvoicesAsync(subscription))[3];
        Lines(fourth).ShouldBe([("usage", 700L), ("subscription", 3000L)], ignoreOrder: true);
        Summary(fourth).ShouldBe(("subscription_cycle", 3700L, 3700L, "open"));
        await PayAsync(fourth);

        // A downgrade to Basic when the month ends: June is billed as Basic.
        var downgrade = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/change", new { plan = basic, timing = "period_end" });
        downgrade.Status.ShouldBe(HttpStatusCode.OK, downgrade.Body?.ToJsonString());
        await AdvanceAsync(clock, At(2027, 6, 15));
        var fifth = (await InvoicesAsync(subscription))[4];
        Summary(fifth).ShouldBe(("subscription_cycle", 1000L, 1000L, "open"));
        (await server.TestAdmin.GetAsync($"/api/v1/customers/{customer.Id}")).Str("plan").ShouldBe(basic);

        // Its payment fails: past due with access; the first retry three days later; then paid, and active again.
        (await server.TestAdmin.PostAsync($"/api/v1/invoices/{fifth["id"]!.GetValue<string>()}/payment-failed")).Status.ShouldBe(HttpStatusCode.OK);
        (await StatusAsync(subscription)).ShouldBe("past_due");
        var retried = await AdvanceAsync(clock, At(2027, 6, 19));
        retried["advance"]!["dunning_steps"]!.GetValue<int>().ShouldBe(1);
        (await server.TestAdmin.GetAsync($"/api/v1/invoices/{fifth["id"]!.GetValue<string>()}")).Body!["payment_attempts"]!.GetValue<int>().ShouldBe(2);
        await PayAsync(fifth);
        (await StatusAsync(subscription)).ShouldBe("active");

        // July renews; canceled in August at the month's end, with its last month's 300 calls billed on the way out.
        await AdvanceAsync(clock, At(2027, 8, 1));
        var sixth = (await InvoicesAsync(subscription))[5];
        Summary(sixth).ShouldBe(("subscription_cycle", 1000L, 1000L, "open"));
        await PayAsync(sixth);
        var cancel = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/cancel", new { at = "period_end", reason = "too_expensive" });
        cancel.Body!["cancel_at_period_end"]!.GetValue<bool>().ShouldBeTrue();
        await CallsAsync(customer.Id, metric, 300, At(2027, 8, 1));
        var ended = await AdvanceAsync(clock, At(2028, 3, 1)); // the rest of the year: nothing after the end
        ended["advance"]!["subscriptions_ended"]!.GetValue<int>().ShouldBe(1);

        var year = await InvoicesAsync(subscription);
        year.Count.ShouldBe(7);
        Lines(year[6]).ShouldBe([("usage", 200L)]);
        Summary(year[6]).ShouldBe(("subscription_end", 200L, 200L, "open"));
        year[6]["period_end"]!.GetValue<string>().ShouldBe("2027-08-15T00:00:00+00:00");
        var canceled = await server.TestAdmin.GetAsync($"/api/v1/subscriptions/{subscription}");
        (canceled.Str("status"), canceled.Str("cancel_reason"), canceled.Str("ended_at")).ShouldBe(("canceled", "too_expensive", "2027-08-15T00:00:00+00:00"));
        (await server.TestAdmin.GetAsync($"/api/v1/customers/{customer.Id}")).Body!["plan"].ShouldBeNull();
        year.Sum(i => i["total"]!.GetValue<long>()).ShouldBe(1000 + 1150 + 1000 + 3700 + 1000 + 1000 + 200);
    }

    [Fact]
    public async Task The_scheduled_run_leaves_a_clocks_customers_alone_and_an_advance_bills_no_one_else()
    {
        var (basic, _, _) = await CatalogAsync();
        var clock = await ClockAsync(server.Clock.GetUtcNow());
        var onClock = await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "On a clock", test_clock_id = clock });
        var offClock = await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "On the server's time" });
        var clocked = (await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = onClock.Id, plan = basic, trial_days = 0 })).Id;
        var plain = (await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = offClock.Id, plan = basic, trial_days = 0 })).Id;

        server.Clock.Advance(TimeSpan.FromDays(32)); // both periods have ended by the server's time
        await server.TestAdmin.PostAsync("/api/v1/invoice-runs");
        ((await InvoicesAsync(clocked)).Count, (await InvoicesAsync(plain)).Count).ShouldBe((1, 2));

        var advanced = await AdvanceAsync(clock, server.Clock.GetUtcNow().AddDays(2));
        await AdvanceAsync(clock, server.Clock.GetUtcNow().AddDays(2)); // again: nothing more
        advanced["advance"]!["periods_billed"]!.GetValue<int>().ShouldBe(1);
        ((await InvoicesAsync(clocked)).Count, (await InvoicesAsync(plain)).Count).ShouldBe((2, 2));
    }

    [Fact]
    public async Task A_clock_only_moves_forward_and_a_customer_needs_a_clock_that_exists()
    {
        var clock = await ClockAsync(At(2027, 1, 1));

        (await server.TestAdmin.PostAsync($"/api/v1/test-clocks/{clock}/advance", new { frozen_time = At(2026, 12, 31) })).Code.ShouldBe("test_clock_backwards");
        (await server.TestAdmin.PostAsync($"/api/v1/test-clocks/{clock}/advance", new { frozen_time = At(2031, 1, 1) })).Code.ShouldBe("test_clock_advance_too_far");
        (await server.TestAdmin.PostAsync($"/api/v1/test-clocks/{clock}/advance", new { })).Status.ShouldBe(HttpStatusCode.BadRequest);
        (await server.TestAdmin.PostAsync("/api/v1/test-clocks/clock_nothing/advance", new { frozen_time = At(2027, 2, 1) })).Status.ShouldBe(HttpStatusCode.NotFound);
        (await server.TestAdmin.PostAsync("/api/v1/test-clocks", new { name = "no time" })).Status.ShouldBe(HttpStatusCode.BadRequest);
        var unknown = await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "Nowhere", test_clock_id = "clock_nothing" });
        unknown.Status.ShouldBe(HttpStatusCode.BadRequest);
        unknown.FieldErrors.ShouldBe(["test_clock_id"]);
        (await server.TestAdmin.GetAsync($"/api/v1/test-clocks/{clock}")).Str("frozen_time").ShouldBe("2027-01-01T00:00:00+00:00");
    }

    [Fact]
    public async Task A_subscription_that_cannot_be_billed_is_reported_by_the_advance_tried_again_by_the_next_and_a_change_is_refused()
    {
        // 100,000,000 units at $10,000,000,000 each: 10^20 cents, more than an invoice can hold.
        var (plan, metric) = (Code("huge"), Code("volume"));
        var applied = await server.TestAdmin.PostAsync("/api/v1/catalog/apply", new
        {
            metrics = new[] { new { code = metric, name = "Volume", aggregation = "sum", field = "amount" } },
            plans = new[]
            {
                new
                {
                    code = plan, name = "Huge",
                    prices = new[] { new { interval = "month", currency = "USD", amount = 1000L } },
                    charges = new[] { new { metric, currency = "USD", model = "per_unit", properties = new { unit_amount = 1_000_000_000_000L } } },
                },
            },
        });
        applied.Status.ShouldBe(HttpStatusCode.OK, applied.Body?.ToJsonString());
        var clock = await ClockAsync(At(2027, 1, 1));
        var customer = (await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "Too much", test_clock_id = clock })).Id;
        var subscription = (await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan })).Id;
        var huge = await server.TestAdmin.PostAsync("/api/v1/events", new { id = $"evt-{Guid.NewGuid():N}", code = metric, customer_id = customer, timestamp = At(2027, 1, 1), properties = new { amount = 100_000_000 } });
        huge.Status.ShouldBe(HttpStatusCode.OK, huge.Body?.ToJsonString());

        var advanced = await server.TestAdmin.PostAsync($"/api/v1/test-clocks/{clock}/advance", new { frozen_time = At(2027, 2, 10) });

        advanced.Status.ShouldBe(HttpStatusCode.OK, advanced.Body?.ToJsonString());
        advanced.Body!["status"]!.GetValue<string>().ShouldBe("ready");
        var failed = advanced.Body["advance"]!["failed"]!.AsArray();
        failed.Select(f => f!["subscription_id"]!.GetValue<string>()).ShouldBe([subscription]);
        failed[0]!["error"]!.GetValue<string>().ShouldContain("more than an invoice line can hold");
        (await InvoicesAsync(subscription)).Select(i => i["billing_reason"]!.GetValue<string>()).ShouldBe(["subscription_create"]); // January unbilled, not half billed
        (await server.TestAdmin.GetAsync($"/api/v1/subscriptions/{subscription}")).Str("current_period_start").ShouldBe("2027-01-01T00:00:00+00:00");

        // The next advance tries again, and fails again, rather than skipping the period.
        var again = await server.TestAdmin.PostAsync($"/api/v1/test-clocks/{clock}/advance", new { frozen_time = At(2027, 2, 11) });
        again.Status.ShouldBe(HttpStatusCode.OK, again.Body?.ToJsonString());
        again.Body!["advance"]!["failed"]!.AsArray().Select(f => f!["subscription_id"]!.GetValue<string>()).ShouldBe([subscription]);

        // A change bills the period that ended first, and cannot: refused with the reason, not a 500, and nothing changed.
        var change = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/change", new { quantity = 2 });
        (change.Status, change.Code).ShouldBe((HttpStatusCode.UnprocessableEntity, "amount_out_of_range"), change.Body?.ToJsonString());
        change.Body!["detail"]!.GetValue<string>().ShouldContain(subscription);
        (await server.TestAdmin.GetAsync($"/api/v1/subscriptions/{subscription}")).Body!["quantity"]!.GetValue<int>().ShouldBe(1);
    }

    [Fact]
    public async Task Test_clocks_are_test_modes_a_live_key_can_neither_make_nor_move_one_nor_put_a_customer_on_it()
    {
        var clock = await ClockAsync(At(2027, 1, 1));

        (await server.Admin.PostAsync("/api/v1/test-clocks", new { frozen_time = At(2027, 1, 1) })).Code.ShouldBe("test_mode_only");
        (await server.Admin.PostAsync($"/api/v1/test-clocks/{clock}/advance", new { frozen_time = At(2027, 2, 1) })).Code.ShouldBe("test_mode_only");
        var live = await server.Admin.PostAsync("/api/v1/customers", new { name = "Live on a clock", test_clock_id = clock });
        (live.Status, live.Code).ShouldBe((HttpStatusCode.Forbidden, "test_mode_only"));
        (await server.TestAdmin.GetAsync($"/api/v1/test-clocks/{clock}")).Str("frozen_time").ShouldBe("2027-01-01T00:00:00+00:00"); // not moved
    }
}

[Collection(SqliteCollection.Name)]
public sealed class TestClocksOnSqlite(SqliteServer server) : TestClockTests(server);

[Collection(PostgresCollection.Name)]
public sealed class TestClocksOnPostgres(PostgresServer server) : TestClockTests(server);
