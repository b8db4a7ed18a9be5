using System.Text.Json.Nodes;
using Tollgate.IntegrationTests.Billing;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Payments;

/// <summary>
/// Razorpay end to end, against a loopback Razorpay: an Indian customer routed to it, its checkout a payment link
/// paid by webhook, renewals sent as payment links (one expired unpaid is a failed payment, and dunning's retry sends
/// another), a refund made a credit note, and its signatures and event ids checked.
/// </summary>
public abstract class RazorpayPaymentTests(TollgateServer server)
{
    readonly PaymentScenario _pay = new(server);

    static DateTimeOffset At(int month, int day) => PaymentScenario.At(month, day);

    Task<string> PlanAsync(int trialDays = 0) => _pay.PlanAsync("inr", "INR", 149900, trialDays, "Pro India");

    Task<(string Clock, string Customer)> CustomerAsync() => _pay.CustomerAsync("Priya Sharma", "priya@example.in", "IN");

    Task<ApiResponse> CheckoutAsync(string customer, string plan) =>
        _pay.CheckoutAsync(customer, plan, successUrl: "https://app.example.in/paid", cancelUrl: "https://app.example.in/pricing");

    /// <summary>The last payment link made, and its id.</summary>
    (JsonObject Body, string Id) LastLink()
    {
        var made = server.Razorpay.Requests.Last(r => r.Method == "POST" && r.Path == "/v1/payment_links");
        return (made.Body!, server.Razorpay.LinkByReference(made.Body!["reference_id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task An_Indian_customers_checkout_is_a_Razorpay_payment_link_that_its_webhook_completes_once()
    {
        var plan = await PlanAsync();
        var (_, customer) = await CustomerAsync();

        var checkout = await CheckoutAsync(customer, plan);

        checkout.Status.ShouldBe(HttpStatusCode.Created, checkout.Body?.ToJsonString());
        (checkout.Str("provider"), checkout.Str("currency")).ShouldBe(("razorpay", "INR"));
        checkout.Str("url")!.ShouldStartWith("https://rzp.test/i/");
        var (link, linkId) = LastLink();
        // Exactly the first invoice's amount due (with GST when another test has set India's rate: rates are the operator's, for everyone).
        var due = (await _pay.InvoicesAsync(customer)).ShouldHaveSingleItem()["amount_due"]!.GetValue<long>();
        due.ShouldBeGreaterThanOrEqualTo(149900);
        (link["amount"]!.GetValue<long>(), link["currency"]!.GetValue<string>(), link["reference_id"]!.GetValue<string>()).ShouldBe((due, "INR", checkout.Id));
        link["notes"]!["tollgate_checkout_id"]!.GetValue<string>().ShouldBe(checkout.Id);
        (link["callback_url"]!.GetValue<string>(), link["callback_method"]!.GetValue<string>()).ShouldBe(("https://app.example.in/paid", "get"));
        (await _pay.StatusAsync(customer)).ShouldBe("incomplete");

        var paid = server.Razorpay.PayLink(linkId);
        (await PaymentScenario.OutcomeAsync(await server.Razorpay.DeliverAsync(paid, "evt_rzp_paid_" + linkId))).ShouldBe("applied");

        (await _pay.StatusAsync(customer)).ShouldBe("active");
        (await _pay.InvoicesAsync(customer)).ShouldHaveSingleItem()["status"]!.GetValue<string>().ShouldBe("paid");
        var payment = (await server.TestAdmin.GetAsync($"/api/v1/payments?customer_id={customer}")).Data.ShouldHaveSingleItem()!;
        (payment["provider"]!.GetValue<string>(), payment["amount"]!.GetValue<long>(), payment["currency"]!.GetValue<string>()).ShouldBe(("razorpay", due, "INR"));

        (await PaymentScenario.OutcomeAsync(await server.Razorpay.DeliverAsync(paid, "evt_rzp_paid_" + linkId))).ShouldBe("duplicate"); // redelivered: same event id
        var forged = await server.Razorpay.DeliverAsync(paid.Replace($"\"amount\":{due}", "\"amount\":100"), "evt_forged_" + linkId, FakeRazorpay.Sign(paid, FakeRazorpay.WebhookSecret));
        forged.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var wrongSecret = await server.Razorpay.DeliverAsync(paid, "evt_wrong_" + linkId, FakeRazorpay.Sign(paid, "not_the_secret"));
        wrongSecret.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var noId = await server.Razorpay.DeliverAsync(paid, eventId: "");
        (noId.StatusCode, JsonNode.Parse(await noId.Content.ReadAsStringAsync())!["code"]!.GetValue<string>()).ShouldBe((HttpStatusCode.BadRequest, "invalid_event"));
        (await server.TestAdmin.GetAsync($"/api/v1/payments?customer_id={customer}")).Data.Count.ShouldBe(1);
    }

    [Fact]
    public async Task One_event_delivered_many_times_at_once_applies_once()
    {
        var plan = await PlanAsync();
        var (_, customer) = await CustomerAsync();
        await CheckoutAsync(customer, plan);
        var paid = server.Razorpay.PayLink(LastLink().Id);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 24).Select(async _ => await PaymentScenario.OutcomeAsync(await server.Razorpay.DeliverAsync(paid, "evt_many_" + customer))));

        outcomes.Count(o => o == "applied").ShouldBe(1);
        outcomes.Count(o => o == "duplicate").ShouldBe(23);
        (await server.TestAdmin.GetAsync($"/api/v1/payments?customer_id={customer}")).Data.Count.ShouldBe(1);
        (await _pay.StatusAsync(customer)).ShouldBe("active");
    }

    [Fact]
    public async Task Renewals_are_sent_as_payment_links_and_one_that_expires_unpaid_is_dunned_with_a_new_link()
    {
        var plan = await PlanAsync();
        var (clock, customer) = await CustomerAsync();
        var checkout = await CheckoutAsync(customer, plan);
        await server.Razorpay.DeliverAsync(server.Razorpay.PayLink(LastLink().Id));

        await server.TestAdmin.AdvanceClockAsync(clock, At(2, 1).AddHours(1));

        var renewal = (await _pay.InvoicesAsync(customer)).Last();
        renewal["status"]!.GetValue<string>().ShouldBe("open");
        var (link, linkId) = LastLink();
        link["reference_id"]!.GetValue<string>().ShouldBe($"{renewal["id"]!.GetValue<string>()}-0");
        (link["notify"]!["email"]!.GetValue<bool>(), link["notify"]!["sms"]!.GetValue<bool>()).ShouldBe((true, true)); // Razorpay sends it
        link["notes"]!["tollgate_invoice_id"]!.GetValue<string>().ShouldBe(renewal["id"]!.GetValue<string>());
        link.ContainsKey("callback_url").ShouldBeFalse();
        var links = server.Razorpay.Requests.Count(r => r.Path == "/v1/payment_links");
        await server.TestAdmin.AdvanceClockAsync(clock, At(2, 1).AddHours(2));
        server.Razorpay.Requests.Count(r => r.Path == "/v1/payment_links").ShouldBe(links); // one link per attempt

        (await PaymentScenario.OutcomeAsync(await server.Razorpay.DeliverAsync(server.Razorpay.ExpireLink(linkId)))).ShouldBe("applied");

        var dunned = (await _pay.InvoicesAsync(customer)).Last();
        (dunned["status"]!.GetValue<string>(), dunned["payment_attempts"]!.GetValue<int>()).ShouldBe(("open", 1));
        (await _pay.StatusAsync(customer)).ShouldBe("past_due");

        await server.TestAdmin.AdvanceClockAsync(clock, At(2, 4).AddHours(3)); // the first retry, three days on
        var (retry, retryId) = LastLink();
        retry["reference_id"]!.GetValue<string>().ShouldBe($"{renewal["id"]!.GetValue<string>()}-1");
        (await PaymentScenario.OutcomeAsync(await server.Razorpay.DeliverAsync(server.Razorpay.PayLink(retryId)))).ShouldBe("applied");

        (await _pay.InvoicesAsync(customer)).Last()["status"]!.GetValue<string>().ShouldBe("paid");
        (await _pay.StatusAsync(customer)).ShouldBe("active");
    }

    [Fact]
    public async Task A_refund_is_made_at_Razorpay_with_its_idempotency_key_and_its_webhook_after_changes_nothing()
    {
        var plan = await PlanAsync();
        var (_, customer) = await CustomerAsync();
        await CheckoutAsync(customer, plan);
        await server.Razorpay.DeliverAsync(server.Razorpay.PayLink(LastLink().Id));
        var payment = (await server.TestAdmin.GetAsync($"/api/v1/payments?customer_id={customer}")).Data.Single()!["id"]!.GetValue<string>();

        var refund = await server.TestAdmin.PostAsync($"/api/v1/payments/{payment}/refund", new { amount = 49900 });

        refund.Status.ShouldBe(HttpStatusCode.OK, refund.Body?.ToJsonString());
        (refund.Str("status"), refund.Body!["amount"]!.GetValue<long>()).ShouldBe(("succeeded", 49900));
        var asked = server.Razorpay.Requests.Last(r => r.Path.EndsWith("/refund", StringComparison.Ordinal));
        asked.RefundKey.ShouldBe(refund.Id);
        asked.Body!["amount"]!.GetValue<long>().ShouldBe(49900);
        (await PaymentScenario.OutcomeAsync(await server.Razorpay.DeliverAsync(server.Razorpay.RefundEvent(refund.Str("provider_refund_id")!)))).ShouldBe("unchanged");
        var invoice = (await _pay.InvoicesAsync(customer)).Single()["id"]!.GetValue<string>();
        (await server.TestAdmin.GetAsync($"/api/v1/credit-notes?invoice_id={invoice}")).Body!.AsArray().ShouldHaveSingleItem()!["refunded"]!
            .GetValue<long>().ShouldBeInRange(49898, 49900); // never more than was paid back; short by the rounding of the tax in it, if any
    }

    [Fact]
    public async Task A_trial_takes_no_checkout_at_Razorpay_which_takes_no_payment_of_nothing()
    {
        var plan = await PlanAsync(trialDays: 14);
        var (_, customer) = await CustomerAsync();

        var checkout = await CheckoutAsync(customer, plan);

        (checkout.Status, checkout.Code).ShouldBe((HttpStatusCode.Conflict, "nothing_to_pay"));
        (await server.TestAdmin.GetAsync($"/api/v1/subscriptions?customer_id={customer}")).Data.ShouldBeEmpty();
    }
}

[Collection(SqliteCollection.Name)]
public sealed class RazorpayPaymentsOnSqlite(SqliteServer server) : RazorpayPaymentTests(server);

[Collection(PostgresCollection.Name)]
public sealed class RazorpayPaymentsOnPostgres(PostgresServer server) : RazorpayPaymentTests(server);
