using System.Text.Json.Nodes;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Billing;

/// <summary>
/// Usage of a charge paid in advance, billed as it accrues: every run bills what accrued since the last, the period's
/// end the rest (a credit when volume pricing brought it down), a plan change now settles it, a void invoice is billed again.
/// </summary>
public abstract class UsageInAdvanceTests(TollgateServer server)
{
    static DateTimeOffset At(int month, int day) => new(2027, month, day, 0, 0, 0, TimeSpan.Zero);

    static IEnumerable<(string?, long)> Lines(JsonNode invoice) =>
        invoice["lines"]!.AsArray().Select(l => (l!["detail"]?.GetValue<string>(), l["amount"]!.GetValue<long>()));

    async Task<(string Plan, string Metric)> PlanAsync(object properties, string model = "per_unit", long? price = 1000, string? plan = null, string? metric = null)
    {
        plan ??= $"acc_{Guid.NewGuid():N}"[..20];
        metric ??= $"calls_{Guid.NewGuid():N}"[..20];
        var applied = await server.TestAdmin.PostAsync("/api/v1/catalog/apply", new
        {
            metrics = new[] { new { code = metric, name = "Calls", aggregation = "count" } },
            plans = new[]
            {
                new
                {
                    code = plan, name = "Accruing",
                    prices = price is { } amount ? new[] { new { interval = "month", currency = "USD", amount } } : [],
                    charges = new[] { new { metric, currency = "USD", model, properties } },
                },
            },
        });
        applied.Status.ShouldBe(HttpStatusCode.OK, applied.Body?.ToJsonString());
        return (plan, metric);
    }

    async Task<(string Clock, string Customer, string Subscription)> SubscribeAsync(string plan, DateTimeOffset at)
    {
        var clock = (await server.TestAdmin.PostAsync("/api/v1/test-clocks", new { frozen_time = at })).Id;
        var customer = (await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "Accrues", test_clock_id = clock })).Id;
        var subscription = await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan });
        subscription.Status.ShouldBe(HttpStatusCode.Created, subscription.Body?.ToJsonString());
        return (clock, customer, subscription.Id);
    }

    async Task<List<JsonNode>> InvoicesAsync(string subscription, string reason) =>
        [.. (await server.TestAdmin.GetAsync($"/api/v1/invoices?subscription_id={subscription}&limit=100")).Data
            .Where(i => i!["billing_reason"]!.GetValue<string>() == reason).Select(i => i!).OrderBy(i => i["created_at"]!.GetValue<DateTimeOffset>())];

    [Fact]
    public async Task Each_run_bills_what_accrued_since_the_last_and_the_period_end_only_the_rest()
    {
        var (plan, metric) = await PlanAsync(new { unit_amount = 2, pay_in_advance = true });
        var (clock, customer, subscription) = await SubscribeAsync(plan, At(1, 1));

        await server.TestAdmin.AdvanceClockAsync(clock, At(1, 5));
        await server.TestAdmin.SendUsageAsync(customer, metric, 100, At(1, 5));
        await server.TestAdmin.AdvanceClockAsync(clock, At(1, 10));
        await server.TestAdmin.AdvanceClockAsync(clock, At(1, 12));
        await server.TestAdmin.SendUsageAsync(customer, metric, 50, At(1, 12));
        await server.TestAdmin.AdvanceClockAsync(clock, At(1, 15));
        await server.TestAdmin.AdvanceClockAsync(clock, At(1, 20)); // nothing accrued since

        var accrued = await InvoicesAsync(subscription, "usage_in_advance");
        accrued.Select(i => i["total"]!.GetValue<long>()).ShouldBe([200L, 100L]);
        accrued.ShouldAllBe(i => i["status"]!.GetValue<string>() == "open" && i["number"] != null);
        Lines(accrued[1]).ShouldBe([("usage_in_advance", 100L)]);

        await server.TestAdmin.AdvanceClockAsync(clock, At(1, 25));
        await server.TestAdmin.SendUsageAsync(customer, metric, 25, At(1, 25));
        await server.TestAdmin.AdvanceClockAsync(clock, At(2, 2));

        // January's 175 calls came to 350, 300 of it billed as it accrued: the period's end bills 50 with February's price.
        var renewal = (await InvoicesAsync(subscription, "subscription_cycle")).ShouldHaveSingleItem();
        Lines(renewal).ShouldBe([(null, 1000L), ("units", 350L), ("billed_in_advance", -300L)], ignoreOrder: true);
        renewal["total"]!.GetValue<long>().ShouldBe(1050);
    }

    [Fact]
    public async Task Usage_that_volume_pricing_brought_below_what_was_billed_is_credited_at_the_period_end()
    {
        var (plan, metric) = await PlanAsync(new { tiers = new object[] { new { up_to = 100, unit_amount = 10 }, new { up_to = (long?)null, unit_amount = 5 } }, pay_in_advance = true },
            model: "volume", price: null);
        var (clock, customer, subscription) = await SubscribeAsync(plan, At(3, 1));

        await server.TestAdmin.AdvanceClockAsync(clock, At(3, 5));
        await server.TestAdmin.SendUsageAsync(customer, metric, 100, At(3, 5));
        await server.TestAdmin.AdvanceClockAsync(clock, At(3, 10));
        await server.TestAdmin.AdvanceClockAsync(clock, At(3, 12));
        await server.TestAdmin.SendUsageAsync(customer, metric, 60, At(3, 12));
        await server.TestAdmin.AdvanceClockAsync(clock, At(3, 20));

        (await InvoicesAsync(subscription, "usage_in_advance")).Select(i => i["total"]!.GetValue<long>()).ShouldBe([1000L]); // 160 at 5 is 800: nothing more now
        await server.TestAdmin.AdvanceClockAsync(clock, At(4, 2));

        // 800 for March less 1,000 billed: 200 to the customer's balance, no invoice.
        (await InvoicesAsync(subscription, "subscription_cycle")).ShouldBeEmpty();
        var balance = await server.TestAdmin.GetAsync($"/api/v1/customers/{customer}/balance");
        balance.Body!["balances"]!.AsArray().Single(b => b!["currency"]!.GetValue<string>() == "USD")!["amount"]!.GetValue<long>().ShouldBe(200);
    }

    [Fact]
    public async Task A_plan_changed_now_settles_the_old_plans_usage_less_what_was_billed_of_it_as_previewed()
    {
        var metric = $"calls_{Guid.NewGuid():N}"[..20];
        var (basic, _) = await PlanAsync(new { unit_amount = 2, pay_in_advance = true }, metric: metric);
        var (pro, _) = await PlanAsync(new { unit_amount = 1, pay_in_advance = true }, price: 2000, metric: metric);
        var (clock, customer, subscription) = await SubscribeAsync(basic, At(5, 1));
        await server.TestAdmin.AdvanceClockAsync(clock, At(5, 3));
        await server.TestAdmin.SendUsageAsync(customer, metric, 100, At(5, 3));
        await server.TestAdmin.AdvanceClockAsync(clock, At(5, 5));
        await server.TestAdmin.AdvanceClockAsync(clock, At(5, 6));
        await server.TestAdmin.SendUsageAsync(customer, metric, 40, At(5, 6));
        await server.TestAdmin.AdvanceClockAsync(clock, At(5, 7));
        await server.TestAdmin.AdvanceClockAsync(clock, At(5, 7).AddHours(1));
        await server.TestAdmin.SendUsageAsync(customer, metric, 10, At(5, 7).AddHours(1));
        await server.TestAdmin.AdvanceClockAsync(clock, At(5, 16).AddHours(12)); // half of May's 31 days gone

        var preview = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/change", new { plan = pro, proration = "invoice_now", preview = true });
        var changed = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/change", new { plan = pro, proration = "invoice_now" });

        changed.Status.ShouldBe(HttpStatusCode.OK, changed.Body?.ToJsonString());
        var invoice = changed.Body!["invoice"]!;
        // 150 calls under basic came to 300, all of it billed as it accrued (200, then 80, then 20).
        (await InvoicesAsync(subscription, "usage_in_advance")).Select(i => i["total"]!.GetValue<long>()).ShouldBe([200L, 80L, 20L]);
        Lines(invoice).Where(l => l.Item1 is "units" or "billed_in_advance").ShouldBe([("units", 300L), ("billed_in_advance", -300L)]);
        Lines(preview.Body!["invoice"]!).ShouldBe(Lines(invoice));
        invoice["total"]!.GetValue<long>().ShouldBe(preview.Body!["invoice"]!["total"]!.GetValue<long>());

        // Under pro, what accrues from now on is pro's: its own window, billed at its price.
        await server.TestAdmin.AdvanceClockAsync(clock, At(5, 20));
        await server.TestAdmin.SendUsageAsync(customer, metric, 30, At(5, 20));
        await server.TestAdmin.AdvanceClockAsync(clock, At(5, 25));
        (await InvoicesAsync(subscription, "usage_in_advance")).Last()["total"]!.GetValue<long>().ShouldBe(30);
        var upcoming = await server.TestAdmin.GetAsync($"/api/v1/subscriptions/{subscription}/upcoming-invoice");
        Lines(upcoming.Body!).Where(l => l.Item1 is "units" or "billed_in_advance").ShouldBe([("units", 30L), ("billed_in_advance", -30L)]);
    }

    [Fact]
    public async Task A_voided_advance_invoice_is_billed_again_by_the_next_run()
    {
        var (plan, metric) = await PlanAsync(new { unit_amount = 3, pay_in_advance = true });
        var (clock, customer, subscription) = await SubscribeAsync(plan, At(6, 1));
        await server.TestAdmin.AdvanceClockAsync(clock, At(6, 2));
        await server.TestAdmin.SendUsageAsync(customer, metric, 10, At(6, 2));
        await server.TestAdmin.AdvanceClockAsync(clock, At(6, 3));
        var first = (await InvoicesAsync(subscription, "usage_in_advance")).ShouldHaveSingleItem();
        (await server.TestAdmin.PostAsync($"/api/v1/invoices/{first["id"]}/void")).Status.ShouldBe(HttpStatusCode.OK);

        await server.TestAdmin.AdvanceClockAsync(clock, At(6, 4));

        var billed = await InvoicesAsync(subscription, "usage_in_advance");
        billed.Select(i => (i["status"]!.GetValue<string>(), i["total"]!.GetValue<long>())).ShouldBe([("void", 30L), ("open", 30L)]);
    }

    [Fact]
    public async Task An_advance_invoice_whose_usage_a_later_invoice_settled_cannot_be_voided()
    {
        var (plan, metric) = await PlanAsync(new { unit_amount = 3, pay_in_advance = true });
        var (clock, customer, subscription) = await SubscribeAsync(plan, At(7, 1));
        await server.TestAdmin.AdvanceClockAsync(clock, At(7, 2));
        await server.TestAdmin.SendUsageAsync(customer, metric, 10, At(7, 2));
        await server.TestAdmin.AdvanceClockAsync(clock, At(7, 3));
        await server.TestAdmin.AdvanceClockAsync(clock, At(8, 2)); // July's end took off the 30 billed in advance
        var advance = (await InvoicesAsync(subscription, "usage_in_advance")).ShouldHaveSingleItem();

        var voided = await server.TestAdmin.PostAsync($"/api/v1/invoices/{advance["id"]}/void");

        voided.Status.ShouldBe(HttpStatusCode.Conflict, voided.Body?.ToJsonString());
        voided.Code.ShouldBe("advance_usage_settled");
        (await server.TestAdmin.GetAsync($"/api/v1/invoices/{advance["id"]}")).Str("status").ShouldBe("open");
    }

    [Fact]
    public async Task A_change_dated_before_the_last_one_is_refused_and_one_dated_at_it_takes_off_what_was_billed_in_advance_since()
    {
        var metric = $"calls_{Guid.NewGuid():N}"[..20];
        var (basic, _) = await PlanAsync(new { unit_amount = 2, pay_in_advance = true }, metric: metric);
        var (pro, _) = await PlanAsync(new { unit_amount = 1, pay_in_advance = true }, price: 2000, metric: metric);
        var (arrears, _) = await PlanAsync(new { unit_amount = 3 }, price: 2000, metric: metric);
        var (clock, customer, subscription) = await SubscribeAsync(basic, At(9, 1));
        await server.TestAdmin.AdvanceClockAsync(clock, At(9, 10));
        (await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/change", new { plan = pro })).Status.ShouldBe(HttpStatusCode.OK);
        await server.TestAdmin.AdvanceClockAsync(clock, At(9, 12));
        await server.TestAdmin.SendUsageAsync(customer, metric, 50, At(9, 12));
        await server.TestAdmin.AdvanceClockAsync(clock, At(9, 13)); // 50 at pro's 1: billed in advance of the window from the 10th
        (await InvoicesAsync(subscription, "usage_in_advance")).Select(i => i["total"]!.GetValue<long>()).ShouldBe([50L]);
        await server.TestAdmin.AdvanceClockAsync(clock, At(9, 14));

        var before = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/change", new { plan = arrears, proration = "none", proration_date = At(9, 8) });
        var atIt = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/change", new { plan = arrears, proration = "none", proration_date = At(9, 10) });

        before.Status.ShouldBe(HttpStatusCode.BadRequest, before.Body?.ToJsonString());
        before.Body!["errors"]!["proration_date"].ShouldNotBeNull();
        atIt.Status.ShouldBe(HttpStatusCode.OK, atIt.Body?.ToJsonString());
        // From the 10th the calls are the arrears plan's, at 3: 150 at September's end, less the 50 billed in advance of them.
        await server.TestAdmin.AdvanceClockAsync(clock, At(10, 2));
        var renewal = (await InvoicesAsync(subscription, "subscription_cycle")).ShouldHaveSingleItem();
        Lines(renewal).Where(l => l.Item1 is "units" or "billed_in_advance").ShouldBe([("units", 150L), ("billed_in_advance", -50L)], ignoreOrder: true);
    }

    [Theory]
    [InlineData("forever", 550, 110)] // 1,000 billed, half off, plus 10%; the 200 too much was paid as 110
    [InlineData("once", 1100, 220)] // a once coupon is the period invoice's alone: neither the advance invoice nor the credit has it
    public async Task A_credit_for_usage_billed_in_advance_gives_back_what_was_paid_after_the_coupon_and_tax(string duration, long advanceTotal, long credit)
    {
        (await server.TestAdmin.PostAsync("/api/v1/tax-rates", new { code = "VSK", country = "IS", percentage = 10 })).Status.ShouldBeOneOf(HttpStatusCode.Created, HttpStatusCode.Conflict);
        var coupon = (await server.TestAdmin.PostAsync("/api/v1/coupons", new { code = $"HALF{Guid.NewGuid():N}"[..16], percent_off = 50, duration })).Body!["code"]!.GetValue<string>();
        var (plan, metric) = await PlanAsync(new { tiers = new object[] { new { up_to = 100, unit_amount = 10 }, new { up_to = (long?)null, unit_amount = 5 } }, pay_in_advance = true },
            model: "volume", price: null);
        var clock = (await server.TestAdmin.PostAsync("/api/v1/test-clocks", new { frozen_time = At(3, 1) })).Id;
        var customer = (await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "Reykjavik", country = "IS", test_clock_id = clock })).Id;
        var subscription = (await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan, coupon })).Id;

        await server.TestAdmin.AdvanceClockAsync(clock, At(3, 5));
        await server.TestAdmin.SendUsageAsync(customer, metric, 100, At(3, 5));
        await server.TestAdmin.AdvanceClockAsync(clock, At(3, 10));
        await server.TestAdmin.AdvanceClockAsync(clock, At(3, 12));
        await server.TestAdmin.SendUsageAsync(customer, metric, 60, At(3, 12));
        await server.TestAdmin.AdvanceClockAsync(clock, At(4, 2));

        // March came to 800 of the 1,000 billed in advance.
        (await InvoicesAsync(subscription, "usage_in_advance")).Select(i => i["total"]!.GetValue<long>()).ShouldBe([advanceTotal]);
        var balance = await server.TestAdmin.GetAsync($"/api/v1/customers/{customer}/balance");
        balance.Body!["balances"]!.AsArray().Single(b => b!["currency"]!.GetValue<string>() == "USD")!["amount"]!.GetValue<long>().ShouldBe(credit);
    }

    [Fact]
    public async Task Two_invoice_runs_at_once_bill_the_accrued_usage_once()
    {
        var (plan, metric) = await PlanAsync(new { unit_amount = 4, pay_in_advance = true });
        var customer = (await server.Admin.PostAsync("/api/v1/customers", new { name = "Live accrual" })).Id;
        var created = await server.Admin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan });
        created.Status.ShouldBe(HttpStatusCode.Created, created.Body?.ToJsonString());
        await server.Admin.SendUsageAsync(customer, metric, 25, created.Body!["current_period_start"]!.GetValue<DateTimeOffset>().AddSeconds(1));
        server.Clock.Advance(TimeSpan.FromMinutes(1));

        var runs = await Task.WhenAll(server.Admin.PostAsync("/api/v1/invoice-runs"), server.Admin.PostAsync("/api/v1/invoice-runs"));

        runs.ShouldAllBe(r => r.Status == HttpStatusCode.OK);
        (await server.Admin.GetAsync($"/api/v1/invoices?subscription_id={created.Id}&limit=100")).Data
            .Where(i => i!["billing_reason"]!.GetValue<string>() == "usage_in_advance").Select(i => i!["total"]!.GetValue<long>()).ShouldBe([100L]);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class UsageInAdvanceOnSqlite(SqliteServer server) : UsageInAdvanceTests(server);

[Collection(PostgresCollection.Name)]
public sealed class UsageInAdvanceOnPostgres(PostgresServer server) : UsageInAdvanceTests(server);
