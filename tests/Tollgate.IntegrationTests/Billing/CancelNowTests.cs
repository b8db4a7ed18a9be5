using System.Text.Json.Nodes;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Billing;

/// <summary>
/// Cancelling now ends the period where it stands and bills it as a period's end is billed: the usage so far, the lines
/// waiting; with <c>prorate</c>, a credit for the unused time of what was paid in advance. Nothing used goes unbilled.
/// </summary>
public abstract class CancelNowTests(TollgateServer server)
{
    static DateTimeOffset At(int month, int day) => new(2027, month, day, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A clock on 1 April 2027 and a customer on it with a $10 plan, 1¢ a call and a $6 fixed amount paid in advance: April is invoiced at once.</summary>
    async Task<(string Clock, string Customer, string Subscription, string Metric)> SubscribedAsync()
    {
        var (plan, metric) = ($"cn_{Guid.NewGuid():N}"[..20], $"m_{Guid.NewGuid():N}"[..20]);
        var applied = await server.TestAdmin.PostAsync("/api/v1/catalog/apply", new
        {
            metrics = new[] { new { code = metric, name = "Calls", aggregation = "count" } },
            plans = new[]
            {
                new
                {
                    code = plan, name = "Cancelled", prices = new[] { new { interval = "month", currency = "USD", amount = 1000 } },
                    charges = new[] { new { metric, currency = "USD", model = "per_unit", properties = new { unit_amount = 1, fixed_amount = 600, pay_in_advance = true } } },
                },
            },
        });
        applied.Status.ShouldBe(HttpStatusCode.OK, applied.Body?.ToJsonString());
        var clock = (await server.TestAdmin.PostAsync("/api/v1/test-clocks", new { frozen_time = At(4, 1) })).Id;
        var customer = (await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "Leaver", test_clock_id = clock })).Id;
        var subscription = await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan });
        subscription.Str("status").ShouldBe("active", subscription.Body?.ToJsonString());
        return (clock, customer, subscription.Id, metric);
    }

    async Task<List<JsonNode>> InvoicesAsync(string subscription) =>
        [.. (await server.TestAdmin.GetAsync($"/api/v1/invoices?subscription_id={subscription}&limit=100")).Data.Select(i => i!).OrderBy(i => i["number"]!.GetValue<string>())];

    static IEnumerable<(string Kind, string? Detail, long Amount)> Lines(JsonNode invoice) =>
        invoice["lines"]!.AsArray().Select(l => (l!["kind"]!.GetValue<string>(), l["detail"]?.GetValue<string>(), l["amount"]!.GetValue<long>()));

    async Task<long> BalanceAsync(string customer)
    {
        var balance = await server.TestAdmin.GetAsync($"/api/v1/customers/{customer}/balance");
        balance.Status.ShouldBe(HttpStatusCode.OK, balance.Body?.ToJsonString());
        return balance.Body!["balances"]!.AsArray().Where(b => b!["currency"]!.GetValue<string>() == "USD").Sum(b => b!["amount"]!.GetValue<long>());
    }

    [Fact]
    public async Task Cancelled_now_the_usage_so_far_is_invoiced_at_once_and_nothing_after()
    {
        var (clock, customer, subscription, metric) = await SubscribedAsync();
        await server.TestAdmin.AdvanceClockAsync(clock, At(4, 16));
        await server.TestAdmin.SendUsageAsync(customer, metric, 15, At(4, 10));

        var canceled = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/cancel", new { at = "now", reason = "switching" });

        canceled.Status.ShouldBe(HttpStatusCode.OK, canceled.Body?.ToJsonString());
        (canceled.Str("status"), canceled.Str("ended_at"), canceled.Str("cancel_reason")).ShouldBe(("canceled", "2027-04-16T00:00:00+00:00", "switching"));
        var last = (await InvoicesAsync(subscription)).Last();
        (last["billing_reason"]!.GetValue<string>(), last["status"]!.GetValue<string>()).ShouldBe(("subscription_end", "open"));
        Lines(last).ShouldBe([("usage", "units", 15L)]); // no credit unless asked for
        (last["period_start"]!.GetValue<string>(), last["period_end"]!.GetValue<string>()).ShouldBe(("2027-04-01T00:00:00+00:00", "2027-04-16T00:00:00+00:00"));

        await server.TestAdmin.AdvanceClockAsync(clock, At(6, 1));
        (await InvoicesAsync(subscription)).Count.ShouldBe(2); // the first period's invoice and the last one
        (await server.TestAdmin.GetAsync($"/api/v1/customers/{customer}")).Str("plan").ShouldBeNull();
    }

    [Fact]
    public async Task Cancelled_now_with_prorate_the_unused_time_of_the_price_and_of_the_fixed_amount_paid_ahead_is_credited()
    {
        var (clock, customer, subscription, metric) = await SubscribedAsync();
        await server.TestAdmin.AdvanceClockAsync(clock, At(4, 16)); // 15 of April's 30 days used: half of $10 and of $6 unused
        await server.TestAdmin.SendUsageAsync(customer, metric, 40, At(4, 10));

        var canceled = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/cancel", new { at = "now", prorate = true });

        canceled.Str("status").ShouldBe("canceled", canceled.Body?.ToJsonString());
        (await InvoicesAsync(subscription)).Count.ShouldBe(1); // 40¢ used, $8 unused: less than nothing makes no invoice
        (await BalanceAsync(customer)).ShouldBe(800 - 40);
        var transactions = await server.TestAdmin.GetAsync($"/api/v1/customers/{customer}/balance/transactions");
        transactions.Data.Select(t => (t!["currency"]!.GetValue<string>(), t["amount"]!.GetValue<long>(), t["invoice_id"]?.GetValue<string>())).ShouldBe([("USD", 760L, null)]);
        (await server.TestAdmin.GetAsync("/api/v1/customers/cus_nobody/balance")).Status.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Cancelled_now_the_lines_a_change_left_waiting_are_billed_with_the_usage()
    {
        var (clock, customer, subscription, metric) = await SubscribedAsync();
        await server.TestAdmin.AdvanceClockAsync(clock, At(4, 16));
        var doubled = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/change", new { quantity = 2, proration = "next_invoice" });
        doubled.Status.ShouldBe(HttpStatusCode.OK, doubled.Body?.ToJsonString());
        await server.TestAdmin.SendUsageAsync(customer, metric, 7, At(4, 15));

        (await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/cancel", new { at = "now" })).Status.ShouldBe(HttpStatusCode.OK);

        var last = (await InvoicesAsync(subscription)).Last();
        // Half of April at two seats instead of one: −$5 and +$10 waiting; then the usage.
        Lines(last).ShouldBe([("usage", "units", 7L), ("proration", "unused_time", -500L), ("proration", "remaining_time", 1000L)], ignoreOrder: true);
        last["total"]!.GetValue<long>().ShouldBe(507);
    }

    [Fact]
    public async Task Cancelled_now_in_a_trial_bills_nothing()
    {
        var (plan, metric) = ($"cnt_{Guid.NewGuid():N}"[..20], $"m_{Guid.NewGuid():N}"[..20]);
        (await server.TestAdmin.PostAsync("/api/v1/catalog/apply", new
        {
            metrics = new[] { new { code = metric, name = "Calls", aggregation = "count" } },
            plans = new[] { new { code = plan, name = "Trial", prices = new[] { new { interval = "month", currency = "USD", amount = 1000 } },
                charges = new[] { new { metric, currency = "USD", model = "per_unit", properties = new { unit_amount = 1 } } } } },
        })).Status.ShouldBe(HttpStatusCode.OK);
        var clock = (await server.TestAdmin.PostAsync("/api/v1/test-clocks", new { frozen_time = At(4, 1) })).Id;
        var customer = (await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "Trier", test_clock_id = clock })).Id;
        var subscription = (await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan, trial_days = 14 })).Id;
        await server.TestAdmin.AdvanceClockAsync(clock, At(4, 5));
        await server.TestAdmin.SendUsageAsync(customer, metric, 3, At(4, 4));

        var canceled = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/cancel", new { at = "now", prorate = true });

        (canceled.Str("status"), canceled.Str("ended_at")).ShouldBe(("canceled", "2027-04-05T00:00:00+00:00"), canceled.Body?.ToJsonString());
        (await InvoicesAsync(subscription)).ShouldBeEmpty();
        (await BalanceAsync(customer)).ShouldBe(0);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class CancelNowOnSqlite(SqliteServer server) : CancelNowTests(server);

[Collection(PostgresCollection.Name)]
public sealed class CancelNowOnPostgres(PostgresServer server) : CancelNowTests(server);
