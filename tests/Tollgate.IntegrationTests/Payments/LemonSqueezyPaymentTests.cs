using System.Text.Json.Nodes;
using Dapper;
using Tollgate.IntegrationTests.Billing;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Payments;

/// <summary>
/// LemonSqueezy end to end, as merchant of record, against a loopback LemonSqueezy that adds 10% tax: a checkout of the
/// store's invoice variant at the first invoice's price, completed by <c>order_created</c> (once, though LemonSqueezy
/// sends no event id); renewals sent as payment links Tollgate hands on (an <c>invoice.payment_link</c> event), one
/// left unpaid past its lifetime dunned with a new link; refunds, through Tollgate and at LemonSqueezy's dashboard.
/// </summary>
public abstract class LemonSqueezyPaymentTests(TollgateServer server)
{
    readonly PaymentScenario _pay = new(server);

    static DateTimeOffset At(int month, int day) => PaymentScenario.At(month, day);

    Task<string> PlanAsync(int trialDays = 0) => _pay.PlanAsync("lsq", "USD", 1900, trialDays);

    Task<(string Clock, string Customer)> CustomerAsync() =>
        _pay.CustomerAsync("Maya Maker", $"maya.{Guid.NewGuid():N}@example.com", "NL", provider: "lemonsqueezy");

    (JsonObject Body, string? ContentType) LastCheckout()
    {
        var made = server.LemonSqueezy.Requests.Last(r => r.Method == "POST" && r.Path == "/v1/checkouts");
        return (made.Body!, made.ContentType);
    }

    static string LinkId(string url) => new Uri(url).AbsolutePath.Split('/').Last();

    sealed record Link(string Url, int Attempt);

    /// <summary>The payment links Tollgate handed on, oldest first, read from the outbox as the operator's webhooks will deliver them.</summary>
    List<Link> LinksSent(string? customer = null)
    {
        using var connection = server.Get<Tollgate.Storage.Database>().OpenAsync().GetAwaiter().GetResult();
        return [.. connection.Query<string>(
                "SELECT payload FROM outbox WHERE type = 'invoice.payment_link' AND (@customer IS NULL OR customer_id = @customer) ORDER BY id", new { customer })
            .Select(p => JsonNode.Parse(p)!)
            .Select(p => new Link(p["url"]!.GetValue<string>(), p["attempt"]!.GetValue<int>()))];
    }

    async Task<string> PaidCheckoutAsync(string customer, string plan)
    {
        var checkout = await _pay.CheckoutAsync(customer, plan, "USD");
        checkout.Status.ShouldBe(HttpStatusCode.Created, checkout.Body?.ToJsonString());
        var order = server.LemonSqueezy.PayCheckout(LinkId(checkout.Str("url")!));
        (await PaymentScenario.OutcomeAsync(await server.LemonSqueezy.DeliverAsync(order))).ShouldBe("applied");
        return order;
    }

    [Fact]
    public async Task A_checkout_is_the_invoice_variant_at_the_invoices_price_and_its_order_completes_it_once_with_LemonSqueezys_tax()
    {
        var plan = await PlanAsync();
        var (_, customer) = await CustomerAsync();

        var checkout = await _pay.CheckoutAsync(customer, plan, "USD");

        checkout.Status.ShouldBe(HttpStatusCode.Created, checkout.Body?.ToJsonString());
        checkout.Str("provider").ShouldBe("lemonsqueezy");
        checkout.Str("url")!.ShouldStartWith("https://tollgate-test.lemonsqueezy.test/checkout/custom/");
        var (made, contentType) = LastCheckout();
        contentType.ShouldBe("application/vnd.api+json");
        var invoice = (await _pay.InvoicesAsync(customer)).ShouldHaveSingleItem();
        var attributes = made["data"]!["attributes"]!;
        attributes["custom_price"]!.GetValue<long>().ShouldBe(invoice["amount_due"]!.GetValue<long>());
        made["data"]!["relationships"]!["variant"]!["data"]!["id"]!.GetValue<string>().ShouldBe(FakeLemonSqueezy.VariantId);
        (attributes["checkout_data"]!["custom"]!["tollgate_checkout_id"]!.GetValue<string>(), attributes["checkout_data"]!["custom"]!["tollgate_invoice_id"]!.GetValue<string>())
            .ShouldBe((checkout.Id, invoice["id"]!.GetValue<string>()));
        attributes["product_options"]!["redirect_url"]!.GetValue<string>().ShouldBe("https://app.example.com/paid");
        (await _pay.StatusAsync(customer)).ShouldBe("incomplete");

        var order = server.LemonSqueezy.PayCheckout(LinkId(checkout.Str("url")!));
        (await PaymentScenario.OutcomeAsync(await server.LemonSqueezy.DeliverAsync(order))).ShouldBe("applied");

        (await _pay.StatusAsync(customer)).ShouldBe("active");
        (await _pay.InvoicesAsync(customer)).Single()["status"]!.GetValue<string>().ShouldBe("paid");
        var payment = (await _pay.PaymentsAsync(customer)).ShouldHaveSingleItem();
        (payment["provider"]!.GetValue<string>(), payment["amount"]!.GetValue<long>(), payment["tax"]!.GetValue<long>()).ShouldBe(("lemonsqueezy", 2090L, 190L));
        // Sent again (LemonSqueezy's retry, or a resend from its dashboard with a new webhook_id): the same news, once.
        var resent = JsonNode.Parse(order)!.AsObject();
        resent["meta"]!["webhook_id"] = Guid.NewGuid().ToString();
        (await PaymentScenario.OutcomeAsync(await server.LemonSqueezy.DeliverAsync(resent.ToJsonString()))).ShouldBe("duplicate");
        (await _pay.PaymentsAsync(customer)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task Renewals_are_payment_links_handed_on_and_one_left_unpaid_past_its_lifetime_is_dunned_with_a_new_link()
    {
        var plan = await PlanAsync();
        var (clock, customer) = await CustomerAsync();
        await PaidCheckoutAsync(customer, plan);

        await server.TestAdmin.AdvanceClockAsync(clock, At(2, 1).AddHours(1));

        var renewal = (await _pay.InvoicesAsync(customer)).Last();
        renewal["status"]!.GetValue<string>().ShouldBe("open");
        var first = LinksSent(customer).ShouldHaveSingleItem(); // the checkout's own URL was the API's answer; later ones are events
        first.Attempt.ShouldBe(0);
        var (made, _) = LastCheckout();
        made["data"]!["attributes"]!["checkout_data"]!["custom"]!["tollgate_invoice_id"]!.GetValue<string>().ShouldBe(renewal["id"]!.GetValue<string>());
        made["data"]!["attributes"]!["checkout_data"]!["custom"]!.AsObject().ContainsKey("tollgate_checkout_id").ShouldBeFalse();

        await server.TestAdmin.AdvanceClockAsync(clock, At(2, 4).AddHours(2)); // past the link's three days, unpaid

        var dunned = (await _pay.InvoicesAsync(customer)).Last();
        (dunned["status"]!.GetValue<string>(), dunned["payment_attempts"]!.GetValue<int>()).ShouldBe(("open", 1));
        (await _pay.StatusAsync(customer)).ShouldBe("past_due");
        (await _pay.PaymentsAsync(customer)).Last()["failure_code"]!.GetValue<string>().ShouldBe("payment_link_expired");

        await server.TestAdmin.AdvanceClockAsync(clock, At(2, 7).AddHours(3)); // dunning's retry: a new link
        var retry = LinksSent(customer).Last();
        retry.Attempt.ShouldBe(1);
        var paid = server.LemonSqueezy.PayCheckout(LinkId(retry.Url));
        (await PaymentScenario.OutcomeAsync(await server.LemonSqueezy.DeliverAsync(paid))).ShouldBe("applied");

        (await _pay.InvoicesAsync(customer)).Last()["status"]!.GetValue<string>().ShouldBe("paid");
        (await _pay.StatusAsync(customer)).ShouldBe("active");
    }

    [Fact]
    public async Task A_refund_through_Tollgate_and_one_at_LemonSqueezys_dashboard_each_count_once()
    {
        var plan = await PlanAsync();
        var (_, customer) = await CustomerAsync();
        var order = JsonNode.Parse(await PaidCheckoutAsync(customer, plan))!["data"]!["id"]!.GetValue<string>();
        var payment = (await _pay.PaymentsAsync(customer)).Single()["id"]!.GetValue<string>();

        var refund = await server.TestAdmin.PostAsync($"/api/v1/payments/{payment}/refund", new { amount = 1000 });

        refund.Status.ShouldBe(HttpStatusCode.OK, refund.Body?.ToJsonString());
        (refund.Str("status"), refund.Str("provider_refund_id")).ShouldBe(("succeeded", $"{order}:1000"));
        var asked = server.LemonSqueezy.Requests.Last(r => r.Path == $"/v1/orders/{order}/refund").Body!;
        (asked["data"]!["type"]!.GetValue<string>(), asked["data"]!["attributes"]!["amount"]!.GetValue<long>()).ShouldBe(("orders", 1000L));
        var itsEvent = server.LemonSqueezy.Event("order_refunded", server.LemonSqueezy.Object(order));
        (await PaymentScenario.OutcomeAsync(await server.LemonSqueezy.DeliverAsync(itsEvent))).ShouldBe("unchanged");

        var atDashboard = server.LemonSqueezy.RefundAtDashboard(order, 500);
        (await PaymentScenario.OutcomeAsync(await server.LemonSqueezy.DeliverAsync(atDashboard))).ShouldBe("applied");

        var listed = (await _pay.PaymentsAsync(customer)).Single();
        listed["amount_refunded"]!.GetValue<long>().ShouldBe(1500);
        listed["refunds"]!.AsArray().Select(r => r!["amount"]!.GetValue<long>()).ShouldBe([1000L, 500L], ignoreOrder: true);
    }

    [Fact]
    public async Task A_refunds_webhook_come_before_its_answer_completes_the_refund_asked_for_and_makes_no_second()
    {
        var plan = await PlanAsync();
        var (_, customer) = await CustomerAsync();
        await PaidCheckoutAsync(customer, plan);
        var payment = (await _pay.PaymentsAsync(customer)).Single()["id"]!.GetValue<string>();
        server.LemonSqueezy.RefundEventsFirst = true;
        try
        {
            var refund = await server.TestAdmin.PostAsync($"/api/v1/payments/{payment}/refund", new { amount = 700 });

            refund.Status.ShouldBe(HttpStatusCode.OK, refund.Body?.ToJsonString());
            refund.Str("status").ShouldBe("succeeded");
        }
        finally
        {
            server.LemonSqueezy.RefundEventsFirst = false;
        }

        var listed = (await _pay.PaymentsAsync(customer)).Single();
        listed["amount_refunded"]!.GetValue<long>().ShouldBe(700);
        listed["refunds"]!.AsArray().ShouldHaveSingleItem()!["status"]!.GetValue<string>().ShouldBe("succeeded");
    }

    [Fact]
    public async Task LemonSqueezy_signatures_are_checked_and_a_trial_takes_no_checkout()
    {
        var plan = await PlanAsync();
        var (_, customer) = await CustomerAsync();
        var checkout = await _pay.CheckoutAsync(customer, plan, "USD");
        var order = server.LemonSqueezy.PayCheckout(LinkId(checkout.Str("url")!));

        async Task RefusedAsync(string body, string? signature, string code = "invalid_signature")
        {
            var response = await server.LemonSqueezy.DeliverAsync(body, signature);
            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            JsonNode.Parse(await response.Content.ReadAsStringAsync())!["code"]!.GetValue<string>().ShouldBe(code);
        }

        await RefusedAsync(order, FakeLemonSqueezy.Sign(order, "someone_elses_secret"));
        await RefusedAsync(order.Replace("\"paid\"", "\"refunded\""), FakeLemonSqueezy.Sign(order, FakeLemonSqueezy.SigningSecret));
        await RefusedAsync(order, "");
        await RefusedAsync("""{"data":{"id":"1"}}""", FakeLemonSqueezy.Sign("""{"data":{"id":"1"}}""", FakeLemonSqueezy.SigningSecret), "invalid_event");
        (await _pay.StatusAsync(customer)).ShouldBe("incomplete");
        var other = """{"meta":{"event_name":"license_key_created"},"data":{"type":"license-keys","id":"7","attributes":{}}}""";
        (await PaymentScenario.OutcomeAsync(await server.LemonSqueezy.DeliverAsync(other))).ShouldBe("ignored");

        var trial = await PlanAsync(trialDays: 14);
        var (_, trialing) = await CustomerAsync();
        var refused = await _pay.CheckoutAsync(trialing, trial, "USD");
        (refused.Status, refused.Code).ShouldBe((HttpStatusCode.Conflict, "nothing_to_pay"));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class LemonSqueezyPaymentsOnSqlite(SqliteServer server) : LemonSqueezyPaymentTests(server);

[Collection(PostgresCollection.Name)]
public sealed class LemonSqueezyPaymentsOnPostgres(PostgresServer server) : LemonSqueezyPaymentTests(server);
