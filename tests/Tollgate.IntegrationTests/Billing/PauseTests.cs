using System.Text.Json.Nodes;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Billing;

public abstract class PauseTests(TollgateServer server)
{
    static DateTimeOffset At(int month, int day) => new(2027, month, day, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A clock on 1 April 2027, and a customer on it subscribed to a $10 plan with 1¢ API calls: April is invoiced at once.</summary>
    async Task<(string Clock, string Customer, string Subscription, string Metric, string Plan)> SubscribedAsync()
    {
        var (plan, metric) = ($"p_{Guid.NewGuid():N}"[..20], $"m_{Guid.NewGuid():N}"[..20]);
        var applied = await server.TestAdmin.PostAsync("/api/v1/catalog/apply", new
        {
            metrics = new[] { new { code = metric, name = "Calls", aggregation = "count" } },
            plans = new[]
            {
                new
                {
                    code = plan, name = "Paused", prices = new[] { new { interval = "month", currency = "USD", amount = 1000 } },
                    charges = new[] { new { metric, currency = "USD", model = "per_unit", properties = new { unit_amount = 1 } } },
                },
            },
        });
        applied.Status.ShouldBe(HttpStatusCode.OK, applied.Body?.ToJsonString());
        var clock = (await server.TestAdmin.PostAsync("/api/v1/test-clocks", new { frozen_time = At(4, 1) })).Id;
        var customer = (await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "Pauser", test_clock_id = clock })).Id;
        var subscription = await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan });
        subscription.Str("status").ShouldBe("active", subscription.Body?.ToJsonString());
        return (clock, customer, subscription.Id, metric, plan);
    }

    async Task AdvanceAsync(string clock, DateTimeOffset to) =>
        (await server.TestAdmin.PostAsync($"/api/v1/test-clocks/{clock}/advance", new { frozen_time = to })).Status.ShouldBe(HttpStatusCode.OK);

    async Task<List<JsonNode>> InvoicesAsync(string subscription) =>
        [.. (await server.TestAdmin.GetAsync($"/api/v1/invoices?subscription_id={subscription}&limit=100")).Data.Select(i => i!).OrderBy(i => i["number"]!.GetValue<string>())];

    static IEnumerable<(string, long)> Lines(JsonNode invoice) =>
        invoice["lines"]!.AsArray().Select(l => (l!["kind"]!.GetValue<string>(), l["amount"]!.GetValue<long>()));

    async Task<string?> PlanOfAsync(string customer) => (await server.TestAdmin.GetAsync($"/api/v1/customers/{customer}")).Str("plan");

    [Fact]
    public async Task Paused_at_the_periods_end_its_usage_is_billed_then_nothing_until_it_resumes_with_a_new_period_invoiced_at_once()
    {
        var (clock, customer, subscription, metric, plan) = await SubscribedAsync();
        await AdvanceAsync(clock, At(4, 10));
        (await server.TestAdmin.PostAsync("/api/v1/events", new { id = $"e-{Guid.NewGuid():N}", code = metric, customer_id = customer, timestamp = At(4, 10) }))
            .Status.ShouldBe(HttpStatusCode.OK);

        var scheduled = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/pause", new { });
        (scheduled.Str("status"), scheduled.Body!["pause_at_period_end"]!.GetValue<bool>()).ShouldBe(("active", true));
        await AdvanceAsync(clock, At(7, 1)); // May and June pass paused

        var paused = await server.TestAdmin.GetAsync($"/api/v1/subscriptions/{subscription}");
        (paused.Str("status"), paused.Str("paused_at")).ShouldBe(("paused", "2027-05-01T00:00:00+00:00"));
        (await PlanOfAsync(customer)).ShouldBeNull(); // no access while paused
        var invoices = await InvoicesAsync(subscription);
        invoices.Count.ShouldBe(2);
        Lines(invoices[1]).ShouldBe([("usage", 1L)]); // April's call, and no May
        invoices[1]["billing_reason"]!.GetValue<string>().ShouldBe("subscription_cycle");

        var resumed = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/resume");
        (resumed.Str("status"), resumed.Str("current_period_start"), resumed.Str("current_period_end"))
            .ShouldBe(("active", "2027-07-01T00:00:00+00:00", "2027-08-01T00:00:00+00:00"));
        (await PlanOfAsync(customer)).ShouldBe(plan);
        var third = (await InvoicesAsync(subscription))[2];
        (third["billing_reason"]!.GetValue<string>(), third["amount_due"]!.GetValue<long>()).ShouldBe(("subscription_resume", 1000L));
    }

    [Fact]
    public async Task Paused_now_the_unused_time_is_credited_and_used_by_the_invoice_that_resumes_it()
    {
        var (clock, customer, subscription, _, _) = await SubscribedAsync();
        await AdvanceAsync(clock, At(4, 16)); // 15 of April's 30 days used

        var paused = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/pause", new { at = "now" });

        (paused.Str("status"), paused.Str("current_period_end")).ShouldBe(("paused", "2027-04-16T00:00:00+00:00"), paused.Body?.ToJsonString());
        (await InvoicesAsync(subscription)).Count.ShouldBe(1); // the credit alone makes no invoice: it goes to the balance
        await AdvanceAsync(clock, At(5, 1));
        var resumed = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/resume");
        resumed.Str("status").ShouldBe("active");
        var resume = (await InvoicesAsync(subscription))[1];
        (resume["total"]!.GetValue<long>(), resume["credits_applied"]!.GetValue<long>(), resume["amount_due"]!.GetValue<long>()).ShouldBe((1000L, 500L, 500L));
    }

    [Fact]
    public async Task Paused_now_the_cut_period_includes_its_share_of_the_free_units_so_pausing_and_resuming_farms_none()
    {
        var (plan, metric) = ($"pf_{Guid.NewGuid():N}"[..20], $"m_{Guid.NewGuid():N}"[..20]);
        (await server.TestAdmin.PostAsync("/api/v1/catalog/apply", new
        {
            metrics = new[] { new { code = metric, name = "Calls", aggregation = "count" } },
            plans = new[] { new { code = plan, name = "Free units", prices = new[] { new { interval = "month", currency = "USD", amount = 1000 } },
                charges = new[] { new { metric, currency = "USD", model = "per_unit", properties = new { unit_amount = 1, free_units = 300 } } } } },
        })).Status.ShouldBe(HttpStatusCode.OK);
        var clock = (await server.TestAdmin.PostAsync("/api/v1/test-clocks", new { frozen_time = At(4, 1) })).Id;
        var customer = (await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "Farmer", test_clock_id = clock })).Id;
        var subscription = (await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan })).Id;
        await AdvanceAsync(clock, At(4, 16)); // 15 of April's 30 days: half the price back, and half the 300 free calls
        await server.TestAdmin.SendUsageAsync(customer, metric, 200, At(4, 10));

        (await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/pause", new { at = "now" })).Str("status").ShouldBe("paused");

        var balance = await server.TestAdmin.GetAsync($"/api/v1/customers/{customer}/balance");
        balance.Body!["balances"]!.AsArray().Single()!["amount"]!.GetValue<long>().ShouldBe(500 - 50); // 50 calls beyond the 150 included
    }

    [Fact]
    public async Task A_pause_with_resumes_at_resumes_by_itself_at_that_instant_when_the_clock_passes_it()
    {
        var (clock, customer, subscription, _, plan) = await SubscribedAsync();
        (await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/pause", new { resumes_at = At(5, 11) })).Status.ShouldBe(HttpStatusCode.OK);

        await AdvanceAsync(clock, At(5, 20));

        var resumed = await server.TestAdmin.GetAsync($"/api/v1/subscriptions/{subscription}");
        (resumed.Str("status"), resumed.Str("current_period_start"), resumed.Str("resumes_at")).ShouldBe(("active", "2027-05-11T00:00:00+00:00", null));
        (await PlanOfAsync(customer)).ShouldBe(plan);
        (await InvoicesAsync(subscription)).Select(i => i["billing_reason"]!.GetValue<string>()).ShouldBe(["subscription_create", "subscription_resume"]);
    }

    [Fact]
    public async Task Only_an_active_subscription_pauses_only_a_paused_one_resumes_and_resumes_at_comes_after_the_pause()
    {
        var (_, _, subscription, _, _) = await SubscribedAsync();

        (await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/resume")).Code.ShouldBe("subscription_state");
        var early = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/pause", new { resumes_at = At(4, 20) });
        (early.Status, early.FieldErrors.Single()).ShouldBe((HttpStatusCode.BadRequest, "resumes_at"));
        (await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/pause", new { at = "sometime" })).Status.ShouldBe(HttpStatusCode.BadRequest);
        await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/pause", new { });
        (await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/pause", new { at = "now" })).Code.ShouldBe("subscription_state");
        var calledOff = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/resume");
        (calledOff.Str("status"), calledOff.Body!["pause_at_period_end"]!.GetValue<bool>()).ShouldBe(("active", false));
        await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/cancel", new { at = "now" });
        (await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/pause", new { at = "now" })).Code.ShouldBe("subscription_state");
        (await server.TestAdmin.PostAsync("/api/v1/subscriptions/sub_nothing/pause", new { })).Status.ShouldBe(HttpStatusCode.NotFound);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class PausesOnSqlite(SqliteServer server) : PauseTests(server);

[Collection(PostgresCollection.Name)]
public sealed class PausesOnPostgres(PostgresServer server) : PauseTests(server);
