using System.Text.Json.Nodes;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Billing;

public abstract class SubscriptionTests(TollgateServer server)
{
    static string Code(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..24];

    /// <summary>A plan at $29 a month (or $290 a year), with API calls billed at 0.5¢ above 1,000 free, and its customer.</summary>
    async Task<(string Plan, string Metric, string Customer)> PlanAndCustomerAsync(int trialDays = 0, string currency = "USD")
    {
        var (metric, plan) = (Code("calls"), Code("pro"));
        var applied = await server.Admin.PostAsync("/api/v1/catalog/apply", new
        {
            metrics = new[] { new { code = metric, name = "API calls", aggregation = "count" } },
            plans = new[]
            {
                new
                {
                    code = plan, name = "Pro", trial_days = trialDays,
                    prices = new[] { new { interval = "month", currency = "USD", amount = 2900 }, new { interval = "year", currency = "USD", amount = 29000 } },
                    charges = new[] { new { metric, currency = "USD", model = "per_unit", properties = new { unit_amount = 0.5m, free_units = 1000 } } },
                },
            },
        });
        applied.Status.ShouldBe(HttpStatusCode.OK, applied.Body?.ToJsonString());
        var customer = await server.Admin.PostAsync("/api/v1/customers", new { name = "Subscriber", currency });
        return (plan, metric, customer.Body!["id"]!.GetValue<string>());
    }

    async Task<JsonObject> SubscribeAsync(string customer, string plan, object? extra = null)
    {
        var body = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(extra ?? new { }))!.AsObject();
        body["customer_id"] = customer;
        body["plan"] = plan;
        var created = await server.Admin.PostAsync("/api/v1/subscriptions", body);
        created.Status.ShouldBe(HttpStatusCode.Created, created.Body?.ToJsonString());
        return created.Body!.AsObject();
    }

    async Task<JsonArray> InvoicesAsync(string subscription) =>
        (await server.Admin.GetAsync($"/api/v1/invoices?subscription_id={subscription}&limit=100")).Body!["data"]!.AsArray();

    async Task<string?> PlanOfAsync(string customer) =>
        (await server.Admin.GetAsync($"/api/v1/customers/{customer}")).Body!["plan"]?.GetValue<string>();

    async Task UseAsync(string metric, string customer, int count)
    {
        var events = Enumerable.Range(0, count).Select(_ => new { id = $"evt-{Guid.NewGuid():N}", code = metric, customer_id = customer }).ToArray();
        for (var i = 0; i < events.Length; i += 1000)
        {
            var posted = await server.Admin.PostAsync("/api/v1/events/batch", new { events = events.Skip(i).Take(1000) });
            posted.Status.ShouldBe(HttpStatusCode.OK, posted.Body?.ToJsonString());
        }
    }

    async Task<JsonObject> RunAsync()
    {
        var run = await server.Admin.PostAsync("/api/v1/invoice-runs");
        run.Status.ShouldBe(HttpStatusCode.OK, run.Body?.ToJsonString());
        return run.Body!.AsObject();
    }

    [Fact]
    public async Task A_subscription_without_a_trial_is_active_gives_its_plan_and_bills_its_first_period_at_once()
    {
        var (plan, _, customer) = await PlanAndCustomerAsync();

        var subscription = await SubscribeAsync(customer, plan, new { quantity = 3 });

        subscription["status"]!.GetValue<string>().ShouldBe("active");
        subscription["plan_version"]!.GetValue<int>().ShouldBe(1);
        (await PlanOfAsync(customer)).ShouldBe(plan);
        var invoice = (await InvoicesAsync(subscription["id"]!.GetValue<string>())).ShouldHaveSingleItem()!;
        invoice["status"]!.GetValue<string>().ShouldBe("open");
        invoice["number"]!.GetValue<string>().ShouldStartWith("TG-");
        invoice["billing_reason"]!.GetValue<string>().ShouldBe("subscription_create");
        invoice["lines"]!.AsArray().ShouldHaveSingleItem()!["amount"]!.GetValue<long>().ShouldBe(8700);
        (invoice["subtotal"]!.GetValue<long>(), invoice["total"]!.GetValue<long>(), invoice["amount_due"]!.GetValue<long>()).ShouldBe((8700, 8700, 8700));
    }

    [Fact]
    public async Task A_trial_bills_nothing_until_it_ends_and_then_bills_the_first_period_but_not_the_trials_usage()
    {
        var (plan, metric, customer) = await PlanAndCustomerAsync(trialDays: 14);
        var subscription = await SubscribeAsync(customer, plan);
        var id = subscription["id"]!.GetValue<string>();
        subscription["status"]!.GetValue<string>().ShouldBe("trialing");
        (await PlanOfAsync(customer)).ShouldBe(plan); // a trial gives the plan
        await UseAsync(metric, customer, 1500);

        await RunAsync();
        (await InvoicesAsync(id)).ShouldBeEmpty();
        server.Clock.Advance(TimeSpan.FromDays(12)); // two days before the trial ends: told once, however often the run runs
        await RunAsync();
        await RunAsync();
        await using (var connection = await server.Get<Tollgate.Storage.Database>().OpenAsync())
        {
            (await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection, "SELECT COUNT(*) FROM outbox WHERE type = 'subscription.trial_will_end' AND customer_id = @customer", new { customer }))
                .ShouldBe(1);
        }

        server.Clock.Advance(TimeSpan.FromDays(2));
        await RunAsync();

        var after = (await server.Admin.GetAsync($"/api/v1/subscriptions/{id}")).Body!;
        after["status"]!.GetValue<string>().ShouldBe("active");
        var invoice = (await InvoicesAsync(id)).ShouldHaveSingleItem()!;
        invoice["lines"]!.AsArray().Select(l => l!["kind"]!.GetValue<string>()).ShouldBe(["subscription"]);
        invoice["total"]!.GetValue<long>().ShouldBe(2900);
    }

    [Fact]
    public async Task A_renewal_bills_the_next_period_ahead_and_the_last_periods_usage_behind_and_running_again_bills_nothing()
    {
        var (plan, metric, customer) = await PlanAndCustomerAsync();
        var id = (await SubscribeAsync(customer, plan))["id"]!.GetValue<string>();
        await UseAsync(metric, customer, 2_201); // 1,201 above the free units at 0.5: 600.5 → 601

        server.Clock.Advance(TimeSpan.FromDays(31));
        await RunAsync();
        var second = await RunAsync();

        var invoices = await InvoicesAsync(id);
        invoices.Count.ShouldBe(2);
        var renewal = invoices[0]!;
        renewal["billing_reason"]!.GetValue<string>().ShouldBe("subscription_cycle");
        renewal["lines"]!.AsArray().Select(l => (l!["kind"]!.GetValue<string>(), l["amount"]!.GetValue<long>())).ShouldBe([("subscription", 2900L), ("usage", 601L)]);
        renewal["total"]!.GetValue<long>().ShouldBe(3501);
        second["invoice_ids"]!.AsArray().Select(i => i!.GetValue<string>()).ShouldNotContain(renewal["id"]!.GetValue<string>());
        var numbers = invoices.Select(i => i!["number"]!.GetValue<string>()).ToList();
        numbers.Distinct().Count().ShouldBe(2);
    }

    [Fact]
    public async Task Cancelling_at_the_period_end_keeps_the_plan_until_then_and_the_run_ends_it_with_a_last_usage_invoice()
    {
        var (plan, metric, customer) = await PlanAndCustomerAsync();
        var id = (await SubscribeAsync(customer, plan))["id"]!.GetValue<string>();

        var scheduled = await server.Admin.PostAsync($"/api/v1/subscriptions/{id}/cancel", new { at = "period_end", reason = "too expensive" });
        scheduled.Body!["cancel_at_period_end"]!.GetValue<bool>().ShouldBeTrue();
        scheduled.Body["status"]!.GetValue<string>().ShouldBe("active");
        (await PlanOfAsync(customer)).ShouldBe(plan);
        await UseAsync(metric, customer, 1_010);

        server.Clock.Advance(TimeSpan.FromDays(31));
        await RunAsync();

        var ended = (await server.Admin.GetAsync($"/api/v1/subscriptions/{id}")).Body!;
        ended["status"]!.GetValue<string>().ShouldBe("canceled");
        ended["cancel_reason"]!.GetValue<string>().ShouldBe("too expensive");
        (await PlanOfAsync(customer)).ShouldBeNull();
        var last = (await InvoicesAsync(id))[0]!;
        last["billing_reason"]!.GetValue<string>().ShouldBe("subscription_end");
        last["lines"]!.AsArray().Select(l => (l!["kind"]!.GetValue<string>(), l["amount"]!.GetValue<long>())).ShouldBe([("usage", 5L)]);
    }

    [Fact]
    public async Task Cancelling_now_ends_access_at_once()
    {
        var (plan, _, customer) = await PlanAndCustomerAsync();
        var id = (await SubscribeAsync(customer, plan))["id"]!.GetValue<string>();

        var canceled = await server.Admin.PostAsync($"/api/v1/subscriptions/{id}/cancel", new { at = "now" });

        canceled.Body!["status"]!.GetValue<string>().ShouldBe("canceled");
        (await PlanOfAsync(customer)).ShouldBeNull();
        (await server.Admin.PostAsync($"/api/v1/subscriptions/{id}/cancel", new { at = "now" })).Status.ShouldBe(HttpStatusCode.OK); // again: no change
    }

    [Fact]
    public async Task An_invoice_moves_only_along_its_states()
    {
        var (plan, _, customer) = await PlanAndCustomerAsync();
        var id = (await SubscribeAsync(customer, plan))["id"]!.GetValue<string>();
        var invoice = (await InvoicesAsync(id))[0]!["id"]!.GetValue<string>();

        var paid = await server.Admin.PostAsync($"/api/v1/invoices/{invoice}/pay");
        var voidPaid = await server.Admin.PostAsync($"/api/v1/invoices/{invoice}/void");
        var finalizeAgain = await server.Admin.PostAsync($"/api/v1/invoices/{invoice}/finalize");

        paid.Body!["status"]!.GetValue<string>().ShouldBe("paid");
        paid.Body["amount_paid"]!.GetValue<long>().ShouldBe(2900);
        voidPaid.Status.ShouldBe(HttpStatusCode.Conflict);
        voidPaid.Code.ShouldBe("invoice_state");
        finalizeAgain.Code.ShouldBe("invoice_state");
        (await server.Admin.GetAsync($"/api/v1/invoices/{invoice}")).Body!["status"]!.GetValue<string>().ShouldBe("paid");
    }

    [Fact]
    public async Task A_subscription_that_cannot_be_priced_is_refused_and_nothing_is_written()
    {
        var (plan, _, customer) = await PlanAndCustomerAsync(currency: "INR");

        var noPrice = await server.Admin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan }); // the customer pays in INR
        var negative = await server.Admin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan, currency = "USD", quantity = -1 });
        var unknownPlan = await server.Admin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan = "no-such-plan" });
        var unknownCustomer = await server.Admin.PostAsync("/api/v1/subscriptions", new { customer_id = "cus_nobody", plan });

        noPrice.Code.ShouldBe("price_not_found");
        negative.Body!["errors"]!["quantity"].ShouldNotBeNull();
        unknownPlan.Body!["errors"]!["plan"].ShouldNotBeNull();
        unknownCustomer.Body!["errors"]!["customer_id"].ShouldNotBeNull();
        (await server.Admin.GetAsync($"/api/v1/subscriptions?customer_id={customer}")).Body!["data"]!.AsArray().ShouldBeEmpty();
        (await PlanOfAsync(customer)).ShouldBeNull();
    }

    [Fact]
    public async Task A_percentage_charge_with_per_event_bounds_is_billed_event_by_event()
    {
        var (metric, plan) = (Code("pay"), Code("psp"));
        var applied = await server.Admin.PostAsync("/api/v1/catalog/apply", new
        {
            metrics = new[] { new { code = metric, name = "Payments", aggregation = "sum", field = "amount" } },
            plans = new[]
            {
                new
                {
                    code = plan, name = "Processing", prices = Array.Empty<object>(),
                    charges = new[] { new { metric, currency = "USD", model = "percentage", properties = new { rate = 1, per_event_fee = 10, per_event_minimum = 50, per_event_maximum = 500 } } },
                },
            },
        });
        applied.Status.ShouldBe(HttpStatusCode.OK, applied.Body?.ToJsonString());
        var customer = (await server.Admin.PostAsync("/api/v1/customers", new { name = "Merchant" })).Body!["id"]!.GetValue<string>();
        var id = (await SubscribeAsync(customer, plan))["id"]!.GetValue<string>();
        foreach (var amount in new[] { 1_000, 20_000, 100_000 })
        {
            (await server.Admin.PostAsync("/api/v1/events", new { id = $"evt-{Guid.NewGuid():N}", code = metric, customer_id = customer, properties = new { amount } })).Status.ShouldBe(HttpStatusCode.OK);
        }

        server.Clock.Advance(TimeSpan.FromDays(31));
        await RunAsync();

        // 1% + 10 each, within 50 and 500: 1,000 → 50, 20,000 → 210, 100,000 → 500; as one event of 121,000 it would be 500.
        (await InvoicesAsync(id)).ShouldHaveSingleItem()!["total"]!.GetValue<long>().ShouldBe(760);
    }

    [Fact]
    public async Task Invoice_numbers_are_gapless_and_unique_when_many_subscriptions_start_at_once()
    {
        var (plan, _, _) = await PlanAndCustomerAsync();
        var customers = new List<string>();
        for (var i = 0; i < 12; i++) customers.Add((await server.Admin.PostAsync("/api/v1/customers", new { name = $"Buyer {i}" })).Body!["id"]!.GetValue<string>());

        var subscriptions = await Task.WhenAll(customers.Select(c => server.Admin.PostAsync("/api/v1/subscriptions", new { customer_id = c, plan })));

        subscriptions.ShouldAllBe(s => s.Status == HttpStatusCode.Created);
        var numbers = new List<long>();
        foreach (var s in subscriptions)
        {
            var number = (await InvoicesAsync(s.Body!["id"]!.GetValue<string>()))[0]!["number"]!.GetValue<string>();
            numbers.Add(long.Parse(number["TG-".Length..], System.Globalization.CultureInfo.InvariantCulture));
        }

        numbers.Distinct().Count().ShouldBe(12);
        (numbers.Max() - numbers.Min()).ShouldBe(11); // no gap between them: nothing else finalized meanwhile in this collection
    }
}

[Collection(SqliteCollection.Name)]
public sealed class SubscriptionsOnSqlite(SqliteServer server) : SubscriptionTests(server);

[Collection(PostgresCollection.Name)]
public sealed class SubscriptionsOnPostgres(PostgresServer server) : SubscriptionTests(server);
