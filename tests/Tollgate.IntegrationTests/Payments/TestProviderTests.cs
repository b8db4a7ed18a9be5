using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Tollgate.IntegrationTests.Billing;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Payments;

/// <summary>
/// The built-in test provider over real HTTP: its checkout page takes a test card and completes the checkout through
/// its own signed webhook (once, however often it is posted), its cards drive renewals and dunning as Stripe's test
/// cards do, its portal changes the saved card behind a signed link, and refunds make credit notes. The operator puts
/// a customer on it with the payment-account endpoint, over the routing rules.
/// </summary>
public abstract class TestProviderTests(TollgateServer server)
{
    readonly PaymentScenario _pay = new(server);

    static DateTimeOffset At(int month, int day) => PaymentScenario.At(month, day);

    /// <summary>A browser that stays on the page it is sent to, so a redirect can be asserted.</summary>
    HttpClient Browser() => new(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.BaseAddress };

    static FormUrlEncodedContent Card(string paymentMethod) => new([new("card", paymentMethod)]);

    Task<string> PlanAsync(int trialDays = 0) => _pay.PlanAsync("tpp", "USD", 2900, trialDays);

    /// <summary>A customer in the US (Stripe's, by the routing rules) whom the operator puts on the test provider.</summary>
    async Task<(string Clock, string Customer)> CustomerAsync()
    {
        var clock = (await server.TestAdmin.PostAsync("/api/v1/test-clocks", new { frozen_time = At(1, 1) })).Id;
        var customer = (await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "Grace <Tester>", email = "grace@example.com", country = "US", test_clock_id = clock })).Id;
        var routed = await server.TestAdmin.GetAsync($"/api/v1/customers/{customer}/payment-account");
        (routed.Str("provider"), routed.Str("chosen_by"), routed.Body!["stored"]!.GetValue<bool>()).ShouldBe(("stripe", "routing", false));
        var chosen = await server.TestAdmin.PutAsync($"/api/v1/customers/{customer}/payment-account", new { provider = "test" });
        chosen.Status.ShouldBe(HttpStatusCode.OK, chosen.Body?.ToJsonString());
        (chosen.Str("provider"), chosen.Str("chosen_by"), chosen.Body!["stored"]!.GetValue<bool>()).ShouldBe(("test", "operator", true));
        return (clock!, customer!);
    }

    async Task<ApiResponse> CheckoutAsync(string customer, string plan)
    {
        var checkout = await _pay.CheckoutAsync(customer, plan, "USD", successUrl: "https://app.example.com/paid?session={CHECKOUT_SESSION_ID}");
        checkout.Status.ShouldBe(HttpStatusCode.Created, checkout.Body?.ToJsonString());
        return checkout;
    }

    [Fact]
    public async Task A_checkout_paid_at_the_test_page_activates_the_subscription_and_pays_its_invoice_once()
    {
        var plan = await PlanAsync();
        var (_, customer) = await CustomerAsync();
        var checkout = await CheckoutAsync(customer, plan);
        checkout.Str("provider").ShouldBe("test");
        var url = new Uri(checkout.Str("url")!);
        url.GetLeftPart(UriPartial.Authority).ShouldBe(server.BaseAddress.GetLeftPart(UriPartial.Authority)); // the server's own page
        url.AbsolutePath.ShouldBe($"/pay/test/{checkout.Id}");
        using var browser = Browser();

        var page = await browser.GetAsync(url);
        var html = await page.Content.ReadAsStringAsync();
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        page.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        html.ShouldContain("<dd id=\"due\">USD 29.00</dd>");
        html.ShouldContain("Grace &lt;Tester&gt;"); // encoded, never markup
        html.ShouldNotContain("<Tester>");

        // A declined card leaves the checkout open and the invoice unpaid.
        var declined = await browser.PostAsync(url, Card("tpm_0002"));
        declined.StatusCode.ShouldBe(HttpStatusCode.PaymentRequired);
        (await declined.Content.ReadAsStringAsync()).ShouldContain("Your card was declined.");
        (await browser.PostAsync(url, Card("tpm_9999"))).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await _pay.SubscriptionAsync(customer))["status"]!.GetValue<string>().ShouldBe("incomplete");
        (await _pay.PaymentsAsync(customer)).ShouldBeEmpty();

        var paid = await browser.PostAsync(url, Card("tpm_4242"));
        paid.StatusCode.ShouldBe(HttpStatusCode.Found);
        paid.Headers.Location!.ToString().ShouldBe($"https://app.example.com/paid?session={checkout.Id}");
        (await _pay.SubscriptionAsync(customer))["status"]!.GetValue<string>().ShouldBe("active");
        var invoice = (await _pay.InvoicesAsync(customer)).ShouldHaveSingleItem();
        invoice["status"]!.GetValue<string>().ShouldBe("paid");
        var payment = (await _pay.PaymentsAsync(customer)).ShouldHaveSingleItem();
        (payment["provider"]!.GetValue<string>(), payment["status"]!.GetValue<string>(), payment["amount"]!.GetValue<long>(), payment["invoice_id"]!.GetValue<string>())
            .ShouldBe(("test", "succeeded", 2900, invoice["id"]!.GetValue<string>()));
        var account = await server.TestAdmin.GetAsync($"/api/v1/customers/{customer}/payment-account");
        (account.Str("provider_customer_id"), account.Str("payment_method")).ShouldBe(($"tcus_{customer}", "tpm_4242"));

        // Posted again (a second click, a reload): the same event, a duplicate; the page now says it is paid and shows the invoice.
        (await browser.PostAsync(url, Card("tpm_4242"))).StatusCode.ShouldBe(HttpStatusCode.Found);
        (await _pay.PaymentsAsync(customer)).Count.ShouldBe(1);
        var done = await (await browser.GetAsync(url)).Content.ReadAsStringAsync();
        done.ShouldContain("This checkout is complete.");
        var invoicePage = await browser.GetAsync($"/pay/test/{checkout.Id}/invoice");
        invoicePage.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await invoicePage.Content.ReadAsStringAsync()).ShouldContain($"Invoice {invoice["number"]!.GetValue<string>()}");
        (await browser.GetAsync("/pay/test/chk_01nothingnothingnothing00")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_trial_saves_a_card_whose_renewal_is_declined_then_the_portal_saves_another_and_the_retry_pays()
    {
        var plan = await PlanAsync(trialDays: 14);
        var (clock, customer) = await CustomerAsync();
        var checkout = await CheckoutAsync(customer, plan);
        using var browser = Browser();
        var url = new Uri(checkout.Str("url")!);
        (await (await browser.GetAsync(url)).Content.ReadAsStringAsync()).ShouldContain("Nothing: your card is saved for later charges");

        (await browser.PostAsync(url, Card("tpm_0341"))).StatusCode.ShouldBe(HttpStatusCode.Found); // saves; declines every charge later
        (await _pay.SubscriptionAsync(customer))["status"]!.GetValue<string>().ShouldBe("trialing");

        await server.TestAdmin.AdvanceClockAsync(clock, At(1, 15).AddHours(1));
        var renewal = (await _pay.InvoicesAsync(customer)).Last();
        (renewal["status"]!.GetValue<string>(), renewal["amount_due"]!.GetValue<long>()).ShouldBe(("open", 2900));
        (await _pay.SubscriptionAsync(customer))["status"]!.GetValue<string>().ShouldBe("past_due");
        var failed = (await _pay.PaymentsAsync(customer)).ShouldHaveSingleItem();
        (failed["status"]!.GetValue<string>(), failed["failure_code"]!.GetValue<string>()).ShouldBe(("failed", "card_declined"));

        var portal = await server.TestAdmin.PostAsync($"/api/v1/customers/{customer}/payment-portal", new { return_url = "https://app.example.com/account" });
        portal.Status.ShouldBe(HttpStatusCode.OK, portal.Body?.ToJsonString());
        portal.Str("provider").ShouldBe("test");
        var link = new Uri(portal.Str("url")!);
        var shown = await (await browser.GetAsync(link)).Content.ReadAsStringAsync();
        shown.ShouldContain("Card 4000 0000 0000 0341");
        shown.ShouldContain("<td>failed</td><td class=\"num\">USD 29.00</td>"); // the receipts, the declined renewal among them
        (await browser.GetAsync(link.ToString().Replace("token=", "token=0"))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await browser.GetAsync(link.ToString().Replace($"tcus_{customer}", "tcus_cus_someone_else"))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await browser.PostAsync(link, Card("tpm_0002"))).StatusCode.ShouldBe(HttpStatusCode.PaymentRequired); // a declined card is not saved

        var saved = await browser.PostAsync(link, Card("tpm_4242"));
        saved.StatusCode.ShouldBe(HttpStatusCode.Found);
        (await (await browser.GetAsync(saved.Headers.Location!.ToString())).Content.ReadAsStringAsync()).ShouldContain("Card 4242 4242 4242 4242");
        (await server.TestAdmin.GetAsync($"/api/v1/customers/{customer}/payment-account")).Str("payment_method").ShouldBe("tpm_4242");

        // Dunning's first retry, three days on, charges the new card.
        await server.TestAdmin.AdvanceClockAsync(clock, At(1, 18).AddHours(2));
        (await _pay.InvoicesAsync(customer)).Last()["status"]!.GetValue<string>().ShouldBe("paid");
        (await _pay.SubscriptionAsync(customer))["status"]!.GetValue<string>().ShouldBe("active");
        (await _pay.PaymentsAsync(customer)).Select(p => p["status"]!.GetValue<string>()).ShouldBe(["failed", "succeeded"]);
    }

    [Fact]
    public async Task A_checkout_left_open_past_its_expiry_is_expired_and_its_page_takes_no_payment()
    {
        var plan = await PlanAsync();
        var (clock, customer) = await CustomerAsync();
        var checkout = await CheckoutAsync(customer, plan);

        server.Clock.Advance(CheckoutLifetime + TimeSpan.FromMinutes(1)); // the provider's time, past the checkout's expires_at
        await server.TestAdmin.AdvanceClockAsync(clock, At(1, 1).AddHours(1));

        (await server.TestAdmin.GetAsync($"/api/v1/checkout-sessions/{checkout.Id}")).Str("status").ShouldBe("expired");
        using var browser = Browser();
        var paid = await browser.PostAsync(new Uri(checkout.Str("url")!), Card("tpm_4242"));
        paid.StatusCode.ShouldNotBe(HttpStatusCode.Found); // no payment, no redirect to success_url
        (await _pay.PaymentsAsync(customer)).ShouldBeEmpty();
    }

    static readonly TimeSpan CheckoutLifetime = Tollgate.Payments.Checkout.CheckoutService.Lifetime;

    [Fact]
    public async Task A_malformed_form_posted_to_the_test_page_is_refused_and_pays_nothing()
    {
        var plan = await PlanAsync();
        var (_, customer) = await CustomerAsync();
        var checkout = await CheckoutAsync(customer, plan);
        using var browser = Browser();
        using var noBoundary = new StringContent("--x\r\nContent-Disposition: form-data; name=\"card\"\r\n\r\ntpm_4242\r\n--x--\r\n", Encoding.UTF8);
        noBoundary.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data");

        var posted = await browser.PostAsync(new Uri(checkout.Str("url")!), noBoundary);

        posted.StatusCode.ShouldBe(HttpStatusCode.BadRequest, await posted.Content.ReadAsStringAsync());
        (await _pay.SubscriptionAsync(customer))["status"]!.GetValue<string>().ShouldBe("incomplete");
    }

    [Fact]
    public async Task A_refund_at_the_test_provider_makes_a_credit_note_and_forged_test_webhooks_are_refused()
    {
        var plan = await PlanAsync();
        var (_, customer) = await CustomerAsync();
        var checkout = await CheckoutAsync(customer, plan);
        using var browser = Browser();
        await browser.PostAsync(new Uri(checkout.Str("url")!), Card("tpm_4242"));
        var payment = (await _pay.PaymentsAsync(customer)).ShouldHaveSingleItem()["id"]!.GetValue<string>();

        var part = await server.TestAdmin.PostAsync($"/api/v1/payments/{payment}/refund", new { amount = 900 });
        (part.Str("status"), part.Body!["amount"]!.GetValue<long>()).ShouldBe(("succeeded", 900));
        var rest = await server.TestAdmin.PostAsync($"/api/v1/payments/{payment}/refund", new { });
        (rest.Str("status"), rest.Body!["amount"]!.GetValue<long>()).ShouldBe(("succeeded", 2000));
        (await _pay.PaymentsAsync(customer)).Single()["amount_refunded"]!.GetValue<long>().ShouldBe(2900);
        var invoice = (await _pay.InvoicesAsync(customer)).Single()["id"]!.GetValue<string>();
        var notes = (await server.TestAdmin.GetAsync($"/api/v1/credit-notes?invoice_id={invoice}")).Body!.AsArray();
        notes.Select(n => n!["refunded"]!.GetValue<long>()).Order().ShouldBe([900L, 2000L]);

        // Only this process can sign the test provider's events: anything posted from outside is refused.
        var forged = new JsonObject
        {
            ["id"] = "tevt_forged", ["type"] = "checkout.completed", ["created"] = server.Clock.GetUtcNow().ToUnixTimeSeconds(),
            ["data"] = new JsonObject { ["session"] = checkout.Id },
        }.ToJsonString();
        using var content = new StringContent(forged, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        content.Headers.Add("Tollgate-Test-Signature", new string('a', 64));
        var refused = await browser.PostAsync("/webhooks/test", content);
        refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["code"]!.GetValue<string>().ShouldBe("invalid_signature");
    }

    [Fact]
    public async Task Choosing_a_provider_that_is_unknown_is_refused_and_a_portal_needs_an_account()
    {
        var customer = (await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "No Account", country = "DE" })).Id;

        (await server.TestAdmin.PutAsync($"/api/v1/customers/{customer}/payment-account", new { provider = "paypal" })).FieldErrors.ShouldBe(["provider"]);
        (await server.TestAdmin.PutAsync("/api/v1/customers/cus_nobody/payment-account", new { provider = "stripe" })).Status.ShouldBe(HttpStatusCode.NotFound);
        (await server.TestAdmin.PostAsync($"/api/v1/customers/{customer}/payment-portal", new { return_url = "https://app.example.com" })).Code.ShouldBe("no_payment_account");
        (await server.TestAdmin.PostAsync($"/api/v1/customers/{customer}/payment-portal", new { return_url = "javascript:alert(1)" })).FieldErrors.ShouldBe(["return_url"]);

        // Moving a customer to another provider forgets its ids at the first one.
        await server.TestAdmin.PutAsync($"/api/v1/customers/{customer}/payment-account", new { provider = "test" });
        await server.TestAdmin.PostAsync("/api/v1/checkout-sessions", new
        {
            customer_id = customer, plan = await PlanAsync(), interval = "month", currency = "USD", success_url = "https://a.example/ok", cancel_url = "https://a.example/no",
        });
        (await server.TestAdmin.GetAsync($"/api/v1/customers/{customer}/payment-account")).Str("provider_customer_id").ShouldBe($"tcus_{customer}");
        var moved = await server.TestAdmin.PutAsync($"/api/v1/customers/{customer}/payment-account", new { provider = "stripe" });
        (moved.Str("provider"), moved.Str("provider_customer_id")).ShouldBe(("stripe", null));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class TestProviderOnSqlite(SqliteServer server) : TestProviderTests(server);

[Collection(PostgresCollection.Name)]
public sealed class TestProviderOnPostgres(PostgresServer server) : TestProviderTests(server);
