using System.Text.Json.Nodes;
using Tollgate.IntegrationTests.Billing;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Payments;

/// <summary>
/// Stripe end to end, against a loopback Stripe speaking its documented API and signing its webhooks as Stripe does:
/// a checkout completed by its webhooks (once, in either order), renewals charged off session, a failed payment
/// dunned and recovered, refunds made credit notes, forged and stale webhooks refused.
/// </summary>
public abstract class StripePaymentTests(TollgateServer server)
{
    readonly PaymentScenario _pay = new(server);

    static DateTimeOffset At(int month, int day) => PaymentScenario.At(month, day);

    Task<string> PlanAsync(int trialDays = 0) => _pay.PlanAsync("pay", "USD", 2900, trialDays);

    Task<(string Clock, string Customer)> CustomerAsync(DateTimeOffset at) => _pay.CustomerAsync("Ada Payer", "ada@example.com", "US", at);

    Task<ApiResponse> CheckoutAsync(string customer, string plan) => _pay.CheckoutAsync(customer, plan, "USD");

    /// <summary>A customer subscribed through a checkout its webhooks completed: the customer, its clock and the Stripe session.</summary>
    async Task<(string Clock, string Customer, string Session)> PaidCheckoutAsync(string plan, string card = "pm_card_visa")
    {
        var (clock, customer) = await CustomerAsync(At(1, 1));
        var checkout = await CheckoutAsync(customer, plan);
        checkout.Status.ShouldBe(HttpStatusCode.Created, checkout.Body?.ToJsonString());
        var session = checkout.Str("url")!.Split('/').Last();
        var outcomes = new List<string>();
        foreach (var e in server.Stripe.CompleteCheckout(session, card)) outcomes.Add(await PaymentScenario.OutcomeAsync(await server.Stripe.DeliverAsync(e)));
        outcomes.ShouldBe(["applied", "unchanged"]); // the checkout, read with its PaymentIntent, pays; the PaymentIntent's own event finds it paid
        return (clock, customer, session);
    }

    [Fact]
    public async Task A_checkout_completed_by_Stripes_webhooks_activates_the_subscription_and_pays_its_first_invoice_once()
    {
        var plan = await PlanAsync();
        var (_, customer) = await CustomerAsync(At(1, 1));

        var checkout = await CheckoutAsync(customer, plan);

        checkout.Status.ShouldBe(HttpStatusCode.Created, checkout.Body?.ToJsonString());
        checkout.Str("provider").ShouldBe("stripe");
        checkout.Str("id")!.ShouldStartWith("chk_");
        checkout.Str("url")!.ShouldStartWith("https://checkout.stripe.test/c/pay/cs_test_");
        checkout.Body!["expires_at"]!.GetValue<DateTimeOffset>().ShouldBe(server.Clock.GetUtcNow().AddHours(22), TimeSpan.FromSeconds(2));
        var created = server.Stripe.Requests.Last(r => r.Path == "/v1/checkout/sessions");
        created.Form["mode"].ShouldBe("payment");
        created.Form["line_items[0][price_data][unit_amount]"].ShouldBe("2900");
        created.Form["line_items[0][price_data][currency]"].ShouldBe("usd");
        created.Form["payment_intent_data[setup_future_usage]"].ShouldBe("off_session");
        created.Form["client_reference_id"].ShouldBe(checkout.Id);
        created.IdempotencyKey.ShouldBe(checkout.Id);
        server.Stripe.Requests.ShouldContain(r => r.Path == "/v1/customers" && r.Form["metadata[tollgate_customer_id]"] == customer && r.Form["address[country]"] == "US");

        // Until Stripe says it was paid, the subscription gives no access: the browser's return to success_url proves nothing.
        var subscription = await _pay.SubscriptionAsync(customer);
        subscription["status"]!.GetValue<string>().ShouldBe("incomplete");
        var invoice = (await _pay.InvoicesAsync(customer)).ShouldHaveSingleItem();
        (invoice["status"]!.GetValue<string>(), invoice["amount_due"]!.GetValue<long>()).ShouldBe(("open", 2900));
        created.Form["metadata[tollgate_invoice_id]"].ShouldBe(invoice["id"]!.GetValue<string>());

        var events = server.Stripe.CompleteCheckout(checkout.Str("url")!.Split('/').Last());
        (await PaymentScenario.OutcomeAsync(await server.Stripe.DeliverAsync(events[0]))).ShouldBe("applied");
        (await PaymentScenario.OutcomeAsync(await server.Stripe.DeliverAsync(events[1]))).ShouldBe("unchanged");

        (await _pay.SubscriptionAsync(customer))["status"]!.GetValue<string>().ShouldBe("active");
        (await _pay.InvoicesAsync(customer)).ShouldHaveSingleItem()["status"]!.GetValue<string>().ShouldBe("paid");
        var payment = (await _pay.PaymentsAsync(customer)).ShouldHaveSingleItem();
        (payment["provider"]!.GetValue<string>(), payment["status"]!.GetValue<string>(), payment["amount"]!.GetValue<long>(), payment["currency"]!.GetValue<string>())
            .ShouldBe(("stripe", "succeeded", 2900, "USD"));
        payment["invoice_id"]!.GetValue<string>().ShouldBe(invoice["id"]!.GetValue<string>());
        (await server.TestAdmin.GetAsync($"/api/v1/checkout-sessions/{checkout.Id}")).Str("status").ShouldBe("complete");

        // Stripe delivers again: each is recognised by its event id and changes nothing.
        foreach (var e in events) (await PaymentScenario.OutcomeAsync(await server.Stripe.DeliverAsync(e))).ShouldBe("duplicate");
        (await _pay.PaymentsAsync(customer)).Count.ShouldBe(1);
        (await _pay.InvoicesAsync(customer)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task Events_delivered_in_reverse_order_end_in_the_same_state()
    {
        var plan = await PlanAsync();
        var (_, customer) = await CustomerAsync(At(1, 1));
        var checkout = await CheckoutAsync(customer, plan);
        var events = server.Stripe.CompleteCheckout(checkout.Str("url")!.Split('/').Last());
        events.Count.ShouldBe(2);

        (await PaymentScenario.OutcomeAsync(await server.Stripe.DeliverAsync(events[1]))).ShouldBe("applied"); // payment_intent.succeeded first
        (await _pay.SubscriptionAsync(customer))["status"]!.GetValue<string>().ShouldBe("active");
        (await PaymentScenario.OutcomeAsync(await server.Stripe.DeliverAsync(events[0]))).ShouldBe("applied"); // then the checkout: completes it, pays nothing again

        (await _pay.PaymentsAsync(customer)).ShouldHaveSingleItem()["status"]!.GetValue<string>().ShouldBe("succeeded");
        (await _pay.InvoicesAsync(customer)).ShouldHaveSingleItem()["status"]!.GetValue<string>().ShouldBe("paid");
        (await server.TestAdmin.GetAsync($"/api/v1/checkout-sessions/{checkout.Id}")).Str("status").ShouldBe("complete");
    }

    [Fact]
    public async Task Renewals_are_charged_off_session_and_a_declined_card_is_dunned_until_a_retry_succeeds()
    {
        var plan = await PlanAsync();
        var card = $"pm_card_{Guid.NewGuid():N}"[..24];
        var (clock, customer, _) = await PaidCheckoutAsync(plan, card);

        await server.TestAdmin.AdvanceClockAsync(clock, At(2, 1).AddHours(1));

        var renewal = (await _pay.InvoicesAsync(customer)).Last();
        (renewal["billing_reason"]!.GetValue<string>(), renewal["status"]!.GetValue<string>(), renewal["amount_due"]!.GetValue<long>()).ShouldBe(("subscription_cycle", "paid", 2900));
        var charge = server.Stripe.Requests.Last(r => r.Path == "/v1/payment_intents");
        (charge.Form["payment_method"], charge.Form["off_session"], charge.Form["confirm"], charge.Form["amount"]).ShouldBe((card, "true", "true", "2900"));
        charge.IdempotencyKey.ShouldBe($"tollgate-invoice-{renewal["id"]!.GetValue<string>()}-0");

        server.Stripe.Declining[card] = true;
        await server.TestAdmin.AdvanceClockAsync(clock, At(3, 1).AddHours(1));

        var declined = (await _pay.InvoicesAsync(customer)).Last();
        (declined["status"]!.GetValue<string>(), declined["payment_attempts"]!.GetValue<int>()).ShouldBe(("open", 1));
        (await _pay.SubscriptionAsync(customer))["status"]!.GetValue<string>().ShouldBe("past_due");
        var failed = (await _pay.PaymentsAsync(customer)).Last();
        (failed["status"]!.GetValue<string>(), failed["failure_code"]!.GetValue<string>()).ShouldBe(("failed", "insufficient_funds"));

        // Nothing more is charged until dunning's first retry, 3 days on.
        var charges = server.Stripe.Requests.Count(r => r.Path == "/v1/payment_intents");
        await server.TestAdmin.AdvanceClockAsync(clock, At(3, 3));
        server.Stripe.Requests.Count(r => r.Path == "/v1/payment_intents").ShouldBe(charges);

        server.Stripe.Declining.TryRemove(card, out _);
        await server.TestAdmin.AdvanceClockAsync(clock, At(3, 4).AddHours(2));

        (await _pay.InvoicesAsync(customer)).Last()["status"]!.GetValue<string>().ShouldBe("paid");
        (await _pay.SubscriptionAsync(customer))["status"]!.GetValue<string>().ShouldBe("active");
        server.Stripe.Requests.Last(r => r.Path == "/v1/payment_intents").IdempotencyKey.ShouldBe($"tollgate-invoice-{declined["id"]!.GetValue<string>()}-1");
        (await _pay.PaymentsAsync(customer)).Select(p => p["status"]!.GetValue<string>()).ShouldBe(["succeeded", "succeeded", "failed", "succeeded"]);
    }

    [Fact]
    public async Task A_refund_in_part_and_then_of_the_rest_makes_credit_notes_of_what_was_paid_back_once()
    {
        var plan = await PlanAsync();
        var (_, customer, _) = await PaidCheckoutAsync(plan);
        var payment = (await _pay.PaymentsAsync(customer)).ShouldHaveSingleItem()["id"]!.GetValue<string>();

        var part = await server.TestAdmin.PostAsync($"/api/v1/payments/{payment}/refund", new { amount = 1000, reason = "requested_by_customer" });
        part.Status.ShouldBe(HttpStatusCode.OK, part.Body?.ToJsonString());
        (part.Str("status"), part.Body!["amount"]!.GetValue<long>()).ShouldBe(("succeeded", 1000));
        var tooMuch = await server.TestAdmin.PostAsync($"/api/v1/payments/{payment}/refund", new { amount = 1901 });
        tooMuch.Status.ShouldBe(HttpStatusCode.BadRequest);
        tooMuch.FieldErrors.ShouldBe(["amount"]);
        var rest = await server.TestAdmin.PostAsync($"/api/v1/payments/{payment}/refund", new { });
        rest.Body!["amount"]!.GetValue<long>().ShouldBe(1900);
        (await server.TestAdmin.PostAsync($"/api/v1/payments/{payment}/refund", new { })).Code.ShouldBe("payment_refunded");
        server.Stripe.Requests.Where(r => r.Path == "/v1/refunds").Select(r => r.Form.GetValueOrDefault("amount")).ShouldBe(["1000", "1900"]); // the rest, as Tollgate counts it

        // Stripe's refund events come after: recognised, no second credit note.
        var refundEvent = server.Stripe.Event("refund.updated", server.Stripe.Object(rest.Str("provider_refund_id")!));
        (await PaymentScenario.OutcomeAsync(await server.Stripe.DeliverAsync(refundEvent))).ShouldBe("unchanged");
        var refund = server.Stripe.Object(server.Stripe.Requests.Last(r => r.Path == "/v1/refunds").Form["payment_intent"]);
        var invoice = (await _pay.InvoicesAsync(customer)).Single()["id"]!.GetValue<string>();
        var notes = (await server.TestAdmin.GetAsync($"/api/v1/credit-notes?invoice_id={invoice}")).Body!.AsArray().Select(n => n!).ToList();
        notes.Select(n => (n["total"]!.GetValue<long>(), n["refunded"]!.GetValue<long>(), n["credited_to_balance"]!.GetValue<long>()))
            .OrderBy(n => n.Item1).ShouldBe([(1000, 1000, 0), (1900, 1900, 0)]);
        var listed = (await _pay.PaymentsAsync(customer)).Single();
        listed["amount_refunded"]!.GetValue<long>().ShouldBe(2900);
        listed["refunds"]!.AsArray().Count.ShouldBe(2);
        refund["_refunded"]!.GetValue<long>().ShouldBe(2900);
    }

    [Fact]
    public async Task Forged_tampered_stale_and_wrong_secret_webhooks_are_refused_and_change_nothing()
    {
        var plan = await PlanAsync();
        var (_, customer) = await CustomerAsync(At(1, 1));
        var checkout = await CheckoutAsync(customer, plan);
        var completed = server.Stripe.CompleteCheckout(checkout.Str("url")!.Split('/').Last())[0];
        var now = server.Clock.GetUtcNow();

        async Task RefusedAsync(string body, string? signature)
        {
            var response = await server.Stripe.DeliverAsync(body, signature);
            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            JsonNode.Parse(await response.Content.ReadAsStringAsync())!["code"]!.GetValue<string>().ShouldBe("invalid_signature");
        }

        await RefusedAsync(completed, FakeStripe.Sign(completed, now, "whsec_someone_elses"));
        await RefusedAsync(completed.Replace("\"complete\"", "\"completed\""), FakeStripe.Sign(completed, now, FakeStripe.WebhookSecret));
        await RefusedAsync(completed, FakeStripe.Sign(completed, now.AddMinutes(-6), FakeStripe.WebhookSecret));
        await RefusedAsync(completed, $"t={now.ToUnixTimeSeconds()},v1={new string('0', 64)}");
        await RefusedAsync(completed, "");
        (await _pay.SubscriptionAsync(customer))["status"]!.GetValue<string>().ShouldBe("incomplete");

        // While Stripe rotates the secret it signs with both: one v1 matching is enough.
        (await PaymentScenario.OutcomeAsync(await server.Stripe.DeliverAsync(completed, FakeStripe.Sign(completed, now, "whsec_the_next_one", FakeStripe.WebhookSecret)))).ShouldBe("applied");
        (await _pay.SubscriptionAsync(customer))["status"]!.GetValue<string>().ShouldBe("active");

        var unknown = server.Stripe.Event("customer.tax_id.created", new JsonObject { ["id"] = "txi_1", ["object"] = "tax_id" });
        (await PaymentScenario.OutcomeAsync(await server.Stripe.DeliverAsync(unknown))).ShouldBe("ignored");
        (await server.Client(null).PostRawAsync("/webhooks/nowhere", "{}")).Status.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_trial_checkout_saves_the_card_and_its_completion_makes_the_subscription()
    {
        var plan = await PlanAsync(trialDays: 14);
        var (_, customer) = await CustomerAsync(At(1, 1));

        var checkout = await CheckoutAsync(customer, plan);

        checkout.Status.ShouldBe(HttpStatusCode.Created, checkout.Body?.ToJsonString());
        server.Stripe.Requests.Last(r => r.Path == "/v1/checkout/sessions").Form["mode"].ShouldBe("setup");
        (await server.TestAdmin.GetAsync($"/api/v1/subscriptions?customer_id={customer}")).Data.ShouldBeEmpty();

        foreach (var e in server.Stripe.CompleteCheckout(checkout.Str("url")!.Split('/').Last(), "pm_card_trial")) await server.Stripe.DeliverAsync(e);

        (await _pay.SubscriptionAsync(customer))["status"]!.GetValue<string>().ShouldBe("trialing");
        (await server.TestAdmin.GetAsync($"/api/v1/checkout-sessions/{checkout.Id}")).Str("subscription_id").ShouldNotBeNull();
    }

    [Fact]
    public async Task A_checkout_names_what_is_wrong_with_it()
    {
        var plan = await PlanAsync();
        var (_, customer) = await CustomerAsync(At(1, 1));

        var bad = await server.TestAdmin.PostAsync("/api/v1/checkout-sessions", new { customer_id = customer, plan, success_url = "javascript:alert(1)", currency = "XXQ" });
        bad.Status.ShouldBe(HttpStatusCode.BadRequest);
        bad.FieldErrors.ShouldBe(["cancel_url", "currency", "success_url"], ignoreOrder: true);
        (await server.TestAdmin.PostAsync("/api/v1/checkout-sessions", new { customer_id = "cus_nobody", plan, success_url = "https://a.example", cancel_url = "https://a.example" }))
            .FieldErrors.ShouldBe(["customer_id"]);
        (await server.TestAdmin.PostAsync("/api/v1/checkout-sessions", new { customer_id = customer, plan = "no_such_plan", success_url = "https://a.example", cancel_url = "https://a.example" }))
            .FieldErrors.ShouldBe(["plan"]);
        (await server.TestAdmin.GetAsync($"/api/v1/subscriptions?customer_id={customer}")).Data.ShouldBeEmpty(); // nothing half made

        // The first purchase fixes the currency.
        (await CheckoutAsync(customer, plan)).Status.ShouldBe(HttpStatusCode.Created);
        var euro = await server.TestAdmin.PostAsync("/api/v1/checkout-sessions", new { customer_id = customer, plan, currency = "EUR", success_url = "https://a.example", cancel_url = "https://a.example" });
        (euro.Status, euro.Code).ShouldBe((HttpStatusCode.Conflict, "currency_fixed"));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class StripePaymentsOnSqlite(SqliteServer server) : StripePaymentTests(server);

[Collection(PostgresCollection.Name)]
public sealed class StripePaymentsOnPostgres(PostgresServer server) : StripePaymentTests(server);
