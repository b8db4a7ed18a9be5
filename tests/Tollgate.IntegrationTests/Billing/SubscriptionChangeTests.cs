using System.Text.Json.Nodes;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Billing;

public abstract class SubscriptionChangeTests(TollgateServer server)
{
    static string Code(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..24];

    /// <summary>Basic at $10 and Pro at $20 a month ($100 and $200 a year), Pro with API calls at 1¢ each; and a customer on Basic.</summary>
    async Task<(string Basic, string Pro, string Metric, string Customer, JsonObject Subscription)> SetUpAsync()
    {
        var (basic, pro, metric) = (Code("basic"), Code("pro"), Code("calls"));
        object Plan(string code, long monthly, bool charged) => new
        {
            code, name = code,
            prices = new[] { new { interval = "month", currency = "USD", amount = monthly }, new { interval = "year", currency = "USD", amount = monthly * 10 } },
            charges = charged ? new[] { new { metric, currency = "USD", model = "per_unit", properties = new { unit_amount = 1 } } } : [],
        };
        var applied = await server.Admin.PostAsync("/api/v1/catalog/apply", new
        {
            metrics = new[] { new { code = metric, name = "API calls", aggregation = "count" } },
            plans = new[] { Plan(basic, 1000, false), Plan(pro, 2000, true) },
        });
        applied.Status.ShouldBe(HttpStatusCode.OK, applied.Body?.ToJsonString());
        var customer = (await server.Admin.PostAsync("/api/v1/customers", new { name = "Changer" })).Body!["id"]!.GetValue<string>();
        var subscription = await server.Admin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan = basic });
        subscription.Status.ShouldBe(HttpStatusCode.Created, subscription.Body?.ToJsonString());
        return (basic, pro, metric, customer, subscription.Body!.AsObject());
    }

    static DateTimeOffset Time(JsonNode node) => DateTimeOffset.Parse(node.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Moves the clock to the middle of the subscription's period and answers that instant.</summary>
    DateTimeOffset Halfway(JsonObject subscription)
    {
        var (start, end) = (Time(subscription["current_period_start"]!), Time(subscription["current_period_end"]!));
        var middle = start + (end - start) / 2;
        server.Clock.Advance(middle - server.Clock.GetUtcNow());
        return middle;
    }

    async Task<JsonArray> InvoicesAsync(string subscription) =>
        (await server.Admin.GetAsync($"/api/v1/invoices?subscription_id={subscription}&limit=100")).Body!["data"]!.AsArray();

    static IEnumerable<(string, long)> Lines(JsonNode invoice) =>
        invoice["lines"]!.AsArray().Select(l => (l!["kind"]!.GetValue<string>(), l["amount"]!.GetValue<long>()));

    [Fact]
    public async Task Stripes_example_upgrading_from_10_to_20_dollars_halfway_credits_5_charges_10_and_5_is_due()
    {
        var (_, pro, _, _, subscription) = await SetUpAsync();
        var id = subscription["id"]!.GetValue<string>();
        Halfway(subscription);

        var change = await server.Admin.PostAsync($"/api/v1/subscriptions/{id}/change", new { plan = pro, proration = "invoice_now" });

        change.Status.ShouldBe(HttpStatusCode.OK, change.Body?.ToJsonString());
        change.Body!["subscription"]!["plan"]!.GetValue<string>().ShouldBe(pro);
        change.Body["subscription"]!["unit_amount"]!.GetValue<long>().ShouldBe(2000);
        var invoice = change.Body["invoice"]!;
        Lines(invoice).ShouldBe([("proration", -500L), ("proration", 1000L)]);
        (invoice["subtotal"]!.GetValue<long>(), invoice["amount_due"]!.GetValue<long>()).ShouldBe((500, 500));
        invoice["billing_reason"]!.GetValue<string>().ShouldBe("subscription_update");
        (await server.Admin.GetAsync($"/api/v1/customers/{subscription["customer_id"]!.GetValue<string>()}")).Body!["plan"]!.GetValue<string>().ShouldBe(pro);
    }

    [Fact]
    public async Task A_preview_writes_nothing_and_the_change_it_previews_agrees_with_it_to_the_cent()
    {
        var (_, pro, _, _, subscription) = await SetUpAsync();
        var id = subscription["id"]!.GetValue<string>();
        server.Clock.Advance(TimeSpan.FromDays(9).Add(TimeSpan.FromSeconds(7_777)));
        var request = new { plan = pro, quantity = 3, proration = "invoice_now" };

        var preview = await server.Admin.PostAsync($"/api/v1/subscriptions/{id}/change", new { request.plan, request.quantity, request.proration, preview = true });
        preview.Status.ShouldBe(HttpStatusCode.OK, preview.Body?.ToJsonString());
        (await InvoicesAsync(id)).Count.ShouldBe(1); // the first period's only
        (await server.Admin.GetAsync($"/api/v1/subscriptions/{id}")).Body!["plan"]!.GetValue<string>().ShouldNotBe(pro);
        server.Clock.Advance(TimeSpan.FromHours(2)); // time passes between the preview and the change (about 17¢ of it): its proration_date holds it

        var change = await server.Admin.PostAsync($"/api/v1/subscriptions/{id}/change",
            new { request.plan, request.quantity, request.proration, proration_date = preview.Body!["proration_date"]!.GetValue<string>() });

        preview.Body["preview"]!.GetValue<bool>().ShouldBeTrue();
        change.Body!["preview"]!.GetValue<bool>().ShouldBeFalse();
        Lines(change.Body["invoice"]!).ShouldBe(Lines(preview.Body["invoice"]!));
        foreach (var total in new[] { "subtotal", "tax", "total", "credits_applied", "amount_due" })
            change.Body["invoice"]![total]!.GetValue<long>().ShouldBe(preview.Body["invoice"]![total]!.GetValue<long>(), total);
        preview.Body["invoice"]!["number"].ShouldBeNull();
    }

    [Fact]
    public async Task A_downgrade_billed_now_puts_its_credit_on_the_balance_and_the_next_invoice_uses_it()
    {
        var (basic, pro, _, customer, first) = await SetUpAsync();
        await server.Admin.PostAsync($"/api/v1/subscriptions/{first["id"]!.GetValue<string>()}/cancel", new { at = "now" }); // its renewal would take the credit
        var subscription = (await server.Admin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan = pro })).Body!.AsObject();
        var id = subscription["id"]!.GetValue<string>();
        Halfway(subscription);

        var change = await server.Admin.PostAsync($"/api/v1/subscriptions/{id}/change", new { plan = basic, proration = "invoice_now" });

        change.Body!["invoice"].ShouldBeNull();
        change.Body["balance_credited"]!.GetValue<long>().ShouldBe(500); // −$10 unused on Pro, +$5 on Basic
        server.Clock.Advance(Time(change.Body["subscription"]!["current_period_end"]!) - server.Clock.GetUtcNow());
        (await server.Admin.PostAsync("/api/v1/invoice-runs")).Status.ShouldBe(HttpStatusCode.OK);
        var renewal = (await InvoicesAsync(id))[0]!;
        (renewal["total"]!.GetValue<long>(), renewal["credits_applied"]!.GetValue<long>(), renewal["amount_due"]!.GetValue<long>()).ShouldBe((1000, 500, 500));
    }

    [Fact]
    public async Task A_change_made_after_the_period_ended_but_before_the_run_billed_it_bills_every_call_once()
    {
        var (small, large, metric) = (Code("small"), Code("large"), Code("calls"));
        object Plan(string code, long monthly) => new
        {
            code, name = code, prices = new[] { new { interval = "month", currency = "USD", amount = monthly } },
            charges = new[] { new { metric, currency = "USD", model = "per_unit", properties = new { unit_amount = 1 } } },
        };
        (await server.Admin.PostAsync("/api/v1/catalog/apply", new
        {
            metrics = new[] { new { code = metric, name = "API calls", aggregation = "count" } },
            plans = new[] { Plan(small, 1000), Plan(large, 2000) },
        })).Status.ShouldBe(HttpStatusCode.OK);
        var customer = (await server.Admin.PostAsync("/api/v1/customers", new { name = "Late changer" })).Id;
        var subscription = (await server.Admin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan = small })).Body!.AsObject();
        var id = subscription["id"]!.GetValue<string>();
        var end = Time(subscription["current_period_end"]!);
        server.Clock.Advance(end.AddDays(2) - server.Clock.GetUtcNow()); // the period has ended; no invoice run yet
        await server.Admin.SendUsageAsync(customer, metric, 10, end.AddDays(-1));
        await server.Admin.SendUsageAsync(customer, metric, 4, end.AddDays(1));

        var change = await server.Admin.PostAsync($"/api/v1/subscriptions/{id}/change", new { plan = large, proration = "none" });

        change.Status.ShouldBe(HttpStatusCode.OK, change.Body?.ToJsonString());
        server.Clock.Advance(TimeSpan.FromDays(32)); // past the end of the period the change was made in
        await server.Admin.PostAsync("/api/v1/invoice-runs");
        var usage = (await InvoicesAsync(id)).SelectMany(i => i!["lines"]!.AsArray()).Where(l => l!["kind"]!.GetValue<string>() == "usage")
            .Sum(l => l!["quantity"]!.GetValue<decimal>());
        usage.ShouldBe(14m); // the ten calls of the period that ended, the four since: each billed once
    }

    [Fact]
    public async Task Prorations_for_the_next_invoice_wait_on_it_and_are_billed_once()
    {
        var (_, pro, _, _, subscription) = await SetUpAsync();
        var id = subscription["id"]!.GetValue<string>();
        Halfway(subscription);

        var change = await server.Admin.PostAsync($"/api/v1/subscriptions/{id}/change", new { plan = pro }); // next_invoice is the default
        change.Body!["invoice"].ShouldBeNull();
        change.Body["pending_items"]!.AsArray().Count.ShouldBe(2);
        server.Clock.Advance(Time(change.Body["subscription"]!["current_period_end"]!) - server.Clock.GetUtcNow());
        await server.Admin.PostAsync("/api/v1/invoice-runs");
        server.Clock.Advance(TimeSpan.FromDays(31));
        await server.Admin.PostAsync("/api/v1/invoice-runs");

        var invoices = await InvoicesAsync(id);
        Lines(invoices[1]!).ShouldBe([("subscription", 2000L), ("proration", -500L), ("proration", 1000L)]);
        Lines(invoices[0]!).ShouldBe([("subscription", 2000L)]); // the month after: no proration again
    }

    [Fact]
    public async Task A_change_at_the_period_end_waits_for_it_and_the_renewal_bills_the_new_plan()
    {
        var (_, pro, metric, customer, subscription) = await SetUpAsync();
        var id = subscription["id"]!.GetValue<string>();
        var basic = subscription["plan"]!.GetValue<string>();

        var change = await server.Admin.PostAsync($"/api/v1/subscriptions/{id}/change", new { plan = pro, interval = "year", timing = "period_end" });
        change.Body!["subscription"]!["plan"]!.GetValue<string>().ShouldBe(basic);
        change.Body["subscription"]!["pending_change"]!["plan"]!.GetValue<string>().ShouldBe(pro);
        (await server.Admin.GetAsync($"/api/v1/customers/{customer}")).Body!["plan"]!.GetValue<string>().ShouldBe(basic);
        await server.Admin.PostAsync("/api/v1/events", new { id = $"evt-{Guid.NewGuid():N}", code = metric, customer_id = customer }); // Basic has no charge on it

        server.Clock.Advance(Time(subscription["current_period_end"]!) - server.Clock.GetUtcNow());
        await server.Admin.PostAsync("/api/v1/invoice-runs");

        var after = (await server.Admin.GetAsync($"/api/v1/subscriptions/{id}")).Body!;
        (after["plan"]!.GetValue<string>(), after["interval"]!.GetValue<string>(), after["unit_amount"]!.GetValue<long>()).ShouldBe((pro, "year", 20_000));
        after["pending_change"].ShouldBeNull();
        (Time(after["current_period_end"]!) - Time(after["current_period_start"]!)).TotalDays.ShouldBeInRange(365, 366);
        Lines((await InvoicesAsync(id))[0]!).ShouldBe([("subscription", 20_000L)]);
        (await server.Admin.GetAsync($"/api/v1/customers/{customer}")).Body!["plan"]!.GetValue<string>().ShouldBe(pro);
    }

    [Fact]
    public async Task The_upcoming_invoice_is_what_the_run_then_bills()
    {
        var (_, pro, metric, customer, _) = await SetUpAsync();
        var subscription = (await server.Admin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan = pro, quantity = 2 })).Body!.AsObject();
        var id = subscription["id"]!.GetValue<string>();
        var events = Enumerable.Range(0, 37).Select(_ => new { id = $"evt-{Guid.NewGuid():N}", code = metric, customer_id = customer }).ToArray();
        (await server.Admin.PostAsync("/api/v1/events/batch", new { events })).Status.ShouldBe(HttpStatusCode.OK);

        var upcoming = await server.Admin.GetAsync($"/api/v1/subscriptions/{id}/upcoming-invoice");
        upcoming.Status.ShouldBe(HttpStatusCode.OK, upcoming.Body?.ToJsonString());
        server.Clock.Advance(Time(subscription["current_period_end"]!) - server.Clock.GetUtcNow());
        await server.Admin.PostAsync("/api/v1/invoice-runs");

        var billed = (await InvoicesAsync(id))[0]!;
        Lines(upcoming.Body!).ShouldBe([("subscription", 4000L), ("usage", 37L)]);
        Lines(billed).ShouldBe(Lines(upcoming.Body!));
        billed["total"]!.GetValue<long>().ShouldBe(upcoming.Body!["total"]!.GetValue<long>());
        upcoming.Body!["status"]!.GetValue<string>().ShouldBe("draft");
    }

    [Fact]
    public async Task Changes_that_cannot_be_made_are_refused_and_change_nothing()
    {
        var (basic, pro, _, _, subscription) = await SetUpAsync();
        var id = subscription["id"]!.GetValue<string>();
        var archived = Code("old");
        await server.Admin.PostAsync("/api/v1/plans", new { code = archived, name = "Old", version = new { prices = new[] { new { interval = "month", currency = "USD", amount = 500 } } }, publish = true });
        await server.Admin.PostAsync($"/api/v1/plans/{archived}/archive");

        var toArchived = await server.Admin.PostAsync($"/api/v1/subscriptions/{id}/change", new { plan = archived });
        var same = await server.Admin.PostAsync($"/api/v1/subscriptions/{id}/change", new { plan = basic });
        var zero = await server.Admin.PostAsync($"/api/v1/subscriptions/{id}/change", new { quantity = 0 });
        var future = await server.Admin.PostAsync($"/api/v1/subscriptions/{id}/change", new { plan = pro, proration_date = server.Clock.GetUtcNow().AddDays(1) });
        await server.Admin.PostAsync($"/api/v1/subscriptions/{id}/cancel", new { at = "now" });
        var canceled = await server.Admin.PostAsync($"/api/v1/subscriptions/{id}/change", new { plan = pro });

        toArchived.Code.ShouldBe("plan_archived");
        same.Code.ShouldBe("nothing_to_change");
        zero.Body!["errors"]!["quantity"].ShouldNotBeNull();
        future.Body!["errors"]!["proration_date"].ShouldNotBeNull();
        canceled.Code.ShouldBe("subscription_state");
        (await InvoicesAsync(id)).Count.ShouldBe(1);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class SubscriptionChangesOnSqlite(SqliteServer server) : SubscriptionChangeTests(server);

[Collection(PostgresCollection.Name)]
public sealed class SubscriptionChangesOnPostgres(PostgresServer server) : SubscriptionChangeTests(server);
