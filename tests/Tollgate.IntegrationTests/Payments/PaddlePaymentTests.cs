using System.Text.Json.Nodes;
using Tollgate.IntegrationTests.Billing;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Payments;

/// <summary>
/// Paddle end to end, as merchant of record, against a loopback Paddle that adds 10% tax: a checkout that is a Paddle
/// transaction with the first invoice and a billing agreement at 0, completed by its notification (Paddle's tax on
/// the payment); renewals charged on the Paddle subscription, a declined one dunned until a new card pays; a refund
/// pending until Paddle approves it; Paddle's signatures; and the two subscriptions kept in step either way.
/// </summary>
public abstract class PaddlePaymentTests(TollgateServer server)
{
    readonly PaymentScenario _pay = new(server);

    static DateTimeOffset At(int month, int day) => PaymentScenario.At(month, day);

    Task<string> PlanAsync(int trialDays = 0) => _pay.PlanAsync("pdl", "USD", 2900, trialDays);

    /// <summary>A customer in Germany the operator puts on Paddle, with an email of its own (Paddle keeps one customer per email).</summary>
    Task<(string Clock, string Customer)> CustomerAsync(bool withEmail = true) =>
        _pay.CustomerAsync("Lin Seller", withEmail ? $"lin.{Guid.NewGuid():N}@example.com" : null, "DE", provider: "paddle");

    JsonObject LastRequest(string method, string pathStart) =>
        server.Paddle.Requests.Last(r => r.Method == method && r.Path.StartsWith(pathStart, StringComparison.Ordinal)).Body!;

    async Task<List<string>> DeliverAllAsync(IEnumerable<string> events)
    {
        var outcomes = new List<string>();
        foreach (var e in events) outcomes.Add(await PaymentScenario.OutcomeAsync(await server.Paddle.DeliverAsync(e)));
        return outcomes;
    }

    /// <summary>A customer subscribed through a Paddle checkout its notifications completed: its clock, the customer, the Paddle subscription.</summary>
    async Task<(string Clock, string Customer, string PaddleSubscription)> PaidCheckoutAsync(string plan)
    {
        var (clock, customer) = await CustomerAsync();
        var checkout = await _pay.CheckoutAsync(customer, plan, "USD");
        checkout.Status.ShouldBe(HttpStatusCode.Created, checkout.Body?.ToJsonString());
        var transaction = new Uri(checkout.Str("url")!).Query.Split("_ptxn=")[1];
        var outcomes = await DeliverAllAsync(server.Paddle.CompleteCheckout(transaction));
        outcomes.ShouldBe(["ignored", "applied", "unchanged"]); // paid waits for completed (which names the subscription), and the subscription is known then
        return (clock, customer, server.Paddle.Object(transaction)["subscription_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_Paddle_checkout_sells_the_first_invoice_with_a_billing_agreement_and_its_completion_pays_it_with_Paddles_tax()
    {
        var plan = await PlanAsync();
        var (_, customer) = await CustomerAsync();

        var checkout = await _pay.CheckoutAsync(customer, plan, "USD");

        checkout.Status.ShouldBe(HttpStatusCode.Created, checkout.Body?.ToJsonString());
        checkout.Str("provider").ShouldBe("paddle");
        checkout.Str("url")!.ShouldStartWith("https://pay.paddle.test/checkout?_ptxn=txn_");
        var invoice = (await _pay.InvoicesAsync(customer)).ShouldHaveSingleItem();
        var due = invoice["amount_due"]!.GetValue<long>();
        var made = LastRequest("POST", "/transactions");
        (made["collection_mode"]!.GetValue<string>(), made["currency_code"]!.GetValue<string>()).ShouldBe(("automatic", "USD"));
        made["custom_data"]!["tollgate_checkout_id"]!.GetValue<string>().ShouldBe(checkout.Id);
        var items = made["items"]!.AsArray();
        items.Count.ShouldBe(2);
        (items[0]!["price"]!["unit_price"]!["amount"]!.GetValue<string>(), items[0]!["price"]!["billing_cycle"]!["interval"]!.GetValue<string>()).ShouldBe(("0", "month"));
        (items[1]!["price"]!["unit_price"]!["amount"]!.GetValue<string>(), items[1]!["price"]!["billing_cycle"]).ShouldBe((due.ToString(System.Globalization.CultureInfo.InvariantCulture), null));
        items[1]!["price"]!["custom_data"]!["tollgate_invoice_id"]!.GetValue<string>().ShouldBe(invoice["id"]!.GetValue<string>());
        (await _pay.StatusAsync(customer)).ShouldBe("incomplete");

        var transaction = new Uri(checkout.Str("url")!).Query.Split("_ptxn=")[1];
        var events = server.Paddle.CompleteCheckout(transaction);
        (await DeliverAllAsync(events)).ShouldBe(["ignored", "applied", "unchanged"]);

        (await _pay.StatusAsync(customer)).ShouldBe("active");
        (await _pay.InvoicesAsync(customer)).Single()["status"]!.GetValue<string>().ShouldBe("paid");
        var payment = (await _pay.PaymentsAsync(customer)).ShouldHaveSingleItem();
        (payment["provider"]!.GetValue<string>(), payment["provider_payment_id"]!.GetValue<string>()).ShouldBe(("paddle", transaction));
        (payment["amount"]!.GetValue<long>(), payment["tax"]!.GetValue<long>()).ShouldBe((due + due / 10, due / 10)); // Paddle's tax, on top, as its own
        // The invoice's page says how it was paid, and Paddle's tax beside its totals, not in them.
        using (var page = await new HttpClient().SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(server.BaseAddress, $"/api/v1/invoices/{invoice["id"]}/html"))
               { Headers = { Authorization = new("Bearer", server.TestAdminKey) } }))
        {
            var html = await page.Content.ReadAsStringAsync();
            page.StatusCode.ShouldBe(HttpStatusCode.OK, html);
            html.ShouldContain($"USD {(due + due / 10) / 100}.{(due + due / 10) % 100:D2} through Paddle, merchant of record, of which USD {due / 10 / 100}.{due / 10 % 100:D2} is tax Paddle charged as the seller");
        }
        var account = await server.TestAdmin.GetAsync($"/api/v1/customers/{customer}/payment-account");
        var paddleSubscription = server.Paddle.Object(transaction)["subscription_id"]!.GetValue<string>();
        (account.Str("provider_customer_id")!, account.Str("payment_method")).ShouldBe((made["customer_id"]!.GetValue<string>(), paddleSubscription));
        var kept = account.Body!["provider_subscriptions"]!.AsArray().ShouldHaveSingleItem()!;
        (kept["provider_subscription_id"]!.GetValue<string>(), kept["status"]!.GetValue<string>()).ShouldBe((paddleSubscription, "active"));

        (await DeliverAllAsync(events)).ShouldBe(["duplicate", "duplicate", "duplicate"]); // redelivered: the same event ids
        (await _pay.PaymentsAsync(customer)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task Renewals_are_charged_on_the_Paddle_subscription_and_a_declined_one_is_dunned_until_the_new_card_pays()
    {
        var plan = await PlanAsync();
        var (clock, customer, paddleSubscription) = await PaidCheckoutAsync(plan);
        server.Paddle.UseCard(paddleSubscription, FakePaddle.DecliningCard);

        await server.TestAdmin.AdvanceClockAsync(clock, At(2, 1).AddHours(1));

        var renewal = (await _pay.InvoicesAsync(customer)).Last();
        var charged = LastRequest("POST", $"/subscriptions/{paddleSubscription}/charge");
        (charged["effective_from"]!.GetValue<string>(), charged["on_payment_failure"]!.GetValue<string>()).ShouldBe(("immediately", "prevent_change"));
        var price = charged["items"]![0]!["price"]!;
        (price["unit_price"]!["amount"]!.GetValue<string>(), price["billing_cycle"]).ShouldBe(("2900", null));
        price["custom_data"]!["tollgate_invoice_id"]!.GetValue<string>().ShouldBe(renewal["id"]!.GetValue<string>());
        (renewal["status"]!.GetValue<string>(), renewal["payment_attempts"]!.GetValue<int>()).ShouldBe(("open", 1));
        (await _pay.StatusAsync(customer)).ShouldBe("past_due");
        var declined = (await _pay.PaymentsAsync(customer)).Last();
        (declined["status"]!.GetValue<string>(), declined["failure_code"]!.GetValue<string>()).ShouldBe(("failed", "card_declined"));

        server.Paddle.UseCard(paddleSubscription, FakePaddle.GoodCard); // the customer mends the card at Paddle's portal
        await server.TestAdmin.AdvanceClockAsync(clock, At(2, 4).AddHours(3)); // dunning's first retry

        (await _pay.InvoicesAsync(customer)).Last()["status"]!.GetValue<string>().ShouldBe("paid");
        (await _pay.StatusAsync(customer)).ShouldBe("active");
        var paid = (await _pay.PaymentsAsync(customer)).Last();
        (paid["status"]!.GetValue<string>(), paid["amount"]!.GetValue<long>(), paid["tax"]!.GetValue<long>()).ShouldBe(("succeeded", 3190L, 290L));
        (await DeliverAllAsync(server.Paddle.TakeEvents(paddleSubscription))).ShouldBe(["unchanged"]); // the charge's own notification, after its answer was applied
        server.Paddle.Requests.Count(r => r.Path == $"/subscriptions/{paddleSubscription}/charge").ShouldBe(2); // one charge per attempt
    }

    /// <summary>What a refund of the checkout's payment credits: its share of the invoice, Paddle's 10% on top taken out, rounded down.</summary>
    static long RefundCredit(long refunded) => refunded * 10 / 11;

    [Fact]
    public async Task A_refund_at_Paddle_is_an_adjustment_pending_until_Paddle_approves_it_and_then_a_credit_note()
    {
        var plan = await PlanAsync();
        var (_, customer, _) = await PaidCheckoutAsync(plan);
        var payment = (await _pay.PaymentsAsync(customer)).Single()["id"]!.GetValue<string>();

        var refund = await server.TestAdmin.PostAsync($"/api/v1/payments/{payment}/refund", new { amount = 1100 });

        refund.Status.ShouldBe(HttpStatusCode.OK, refund.Body?.ToJsonString());
        refund.Str("status").ShouldBe("pending");
        var asked = LastRequest("POST", "/adjustments");
        (asked["action"]!.GetValue<string>(), asked["type"]!.GetValue<string>()).ShouldBe(("refund", "partial"));
        asked["items"]!.AsArray().Sum(i => long.Parse(i!["amount"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)).ShouldBe(1100);
        asked["reason"]!.GetValue<string>().ShouldStartWith(refund.Id + ":");
        var invoice = (await _pay.InvoicesAsync(customer)).Single()["id"]!.GetValue<string>();
        (await server.TestAdmin.GetAsync($"/api/v1/credit-notes?invoice_id={invoice}")).Body!.AsArray().ShouldBeEmpty();

        (await PaymentScenario.OutcomeAsync(await server.Paddle.DeliverAsync(server.Paddle.ApproveRefund(refund.Str("provider_refund_id")!)))).ShouldBe("applied");

        (await _pay.PaymentsAsync(customer)).Single()["amount_refunded"]!.GetValue<long>().ShouldBe(1100);
        // 1,100 of a payment of 3,190 of which 290 was Paddle's own tax: 1,000 of it was this invoice's, and only that is credited.
        (await server.TestAdmin.GetAsync($"/api/v1/credit-notes?invoice_id={invoice}")).Body!.AsArray().ShouldHaveSingleItem()!["refunded"]!.GetValue<long>()
            .ShouldBe(RefundCredit(1100));
    }

    [Fact]
    public async Task Paddle_signatures_are_checked_and_a_cancellation_at_Paddle_ends_the_Tollgate_subscription_with_its_period()
    {
        var plan = await PlanAsync();
        var (_, customer) = await CustomerAsync();
        var checkout = await _pay.CheckoutAsync(customer, plan, "USD");
        var completed = server.Paddle.CompleteCheckout(new Uri(checkout.Str("url")!).Query.Split("_ptxn=")[1])[1];
        var now = server.Clock.GetUtcNow();

        async Task RefusedAsync(string body, string? signature)
        {
            var response = await server.Paddle.DeliverAsync(body, signature);
            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            JsonNode.Parse(await response.Content.ReadAsStringAsync())!["code"]!.GetValue<string>().ShouldBe("invalid_signature");
        }

        await RefusedAsync(completed, FakePaddle.Sign(completed, now, "pdl_ntfset_someone_elses"));
        await RefusedAsync(completed.Replace("\"completed\"", "\"canceled\""), FakePaddle.Sign(completed, now, FakePaddle.WebhookSecret));
        await RefusedAsync(completed, FakePaddle.Sign(completed, now.AddMinutes(-6), FakePaddle.WebhookSecret));
        await RefusedAsync(completed, $"ts={now.ToUnixTimeSeconds()};h1={new string('0', 64)}");
        await RefusedAsync(completed, "");
        (await _pay.StatusAsync(customer)).ShouldBe("incomplete");
        // While a secret is rotated, Paddle signs with both: one h1 matching is enough.
        (await PaymentScenario.OutcomeAsync(await server.Paddle.DeliverAsync(completed, FakePaddle.Sign(completed, now, "pdl_ntfset_next", FakePaddle.WebhookSecret)))).ShouldBe("applied");
        (await _pay.StatusAsync(customer)).ShouldBe("active");

        var paddleSubscription = JsonNode.Parse(completed)!["data"]!["subscription_id"]!.GetValue<string>();
        var canceled = server.Paddle.CancelAtPortal(paddleSubscription);
        (await PaymentScenario.OutcomeAsync(await server.Paddle.DeliverAsync(canceled))).ShouldBe("applied");

        var subscription = await _pay.SubscriptionAsync(customer);
        (subscription["status"]!.GetValue<string>(), subscription["cancel_at_period_end"]!.GetValue<bool>()).ShouldBe(("active", true));
        subscription["cancel_reason"]!.GetValue<string>().ShouldBe("canceled_at_paddle");
        (await server.TestAdmin.GetAsync($"/api/v1/customers/{customer}/payment-account")).Str("payment_method").ShouldBeNull(); // nothing left to charge on
        // An older notification of the subscription, delivered late, changes nothing.
        var older = JsonNode.Parse(canceled)!.AsObject();
        older["event_id"] = "evt_older_" + paddleSubscription;
        older["event_type"] = "subscription.updated";
        older["data"]!["status"] = "active";
        older["data"]!["updated_at"] = now.AddDays(-1).ToString("O");
        (await PaymentScenario.OutcomeAsync(await server.Paddle.DeliverAsync(older.ToJsonString()))).ShouldBe("unchanged");
    }

    [Fact]
    public async Task A_subscription_ended_in_Tollgate_is_cancelled_at_Paddle_once()
    {
        var plan = await PlanAsync();
        var (clock, customer, paddleSubscription) = await PaidCheckoutAsync(plan);
        var subscription = (await _pay.SubscriptionAsync(customer))["id"]!.GetValue<string>();

        var ended = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/cancel", new { at = "now", reason = "switched" });
        ended.Status.ShouldBe(HttpStatusCode.OK, ended.Body?.ToJsonString());
        await server.TestAdmin.AdvanceClockAsync(clock, At(1, 2));
        await server.TestAdmin.AdvanceClockAsync(clock, At(1, 3));

        server.Paddle.Object(paddleSubscription)["status"]!.GetValue<string>().ShouldBe("canceled");
        server.Paddle.Requests.Count(r => r.Path == $"/subscriptions/{paddleSubscription}/cancel").ShouldBe(1);
        LastRequest("POST", $"/subscriptions/{paddleSubscription}/cancel")["effective_from"]!.GetValue<string>().ShouldBe("immediately");
        var kept = (await server.TestAdmin.GetAsync($"/api/v1/customers/{customer}/payment-account")).Body!["provider_subscriptions"]!.AsArray().Single()!;
        kept["status"]!.GetValue<string>().ShouldBe("canceled");
        (await DeliverAllAsync(server.Paddle.TakeEvents(paddleSubscription))).ShouldBe(["unchanged"]); // Paddle's notification of it, after
    }

    [Fact]
    public async Task A_subscription_paused_in_Tollgate_is_paused_at_Paddle_and_resumed_there_so_that_its_renewals_are_charged_again()
    {
        var plan = await PlanAsync();
        var (clock, customer, paddleSubscription) = await PaidCheckoutAsync(plan);
        var subscription = (await _pay.SubscriptionAsync(customer))["id"]!.GetValue<string>();

        (await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/pause", new { at = "now" })).Status.ShouldBe(HttpStatusCode.OK);
        await server.TestAdmin.AdvanceClockAsync(clock, At(1, 5));

        server.Paddle.Object(paddleSubscription)["status"]!.GetValue<string>().ShouldBe("paused");
        (await DeliverAllAsync(server.Paddle.TakeEvents(paddleSubscription))).ShouldBe(["unchanged"]); // Paddle's news of the pause Tollgate asked for

        var resumed = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/resume");
        resumed.Status.ShouldBe(HttpStatusCode.OK, resumed.Body?.ToJsonString());
        await server.TestAdmin.AdvanceClockAsync(clock, At(1, 10));
        server.Paddle.Object(paddleSubscription)["status"]!.GetValue<string>().ShouldBe("active");
        var charges = server.Paddle.Requests.Count(r => r.Path == $"/subscriptions/{paddleSubscription}/charge");

        await server.TestAdmin.AdvanceClockAsync(clock, At(2, 5).AddHours(1)); // a month after the resumption: its renewal

        var renewal = (await _pay.InvoicesAsync(customer)).Last();
        (renewal["billing_reason"]!.GetValue<string>(), renewal["status"]!.GetValue<string>()).ShouldBe(("subscription_cycle", "paid"));
        server.Paddle.Requests.Count(r => r.Path == $"/subscriptions/{paddleSubscription}/charge").ShouldBe(charges + 1); // charged on the subscription resumed at Paddle
        var kept = (await server.TestAdmin.GetAsync($"/api/v1/customers/{customer}/payment-account")).Body!["provider_subscriptions"]!.AsArray().Single()!;
        kept["status"]!.GetValue<string>().ShouldBe("active");
        (await DeliverAllAsync(server.Paddle.TakeEvents(paddleSubscription))).ShouldBe(["unchanged", "unchanged"]); // the resumption, and the renewal's charge
    }

    [Fact]
    public async Task Each_subscription_is_charged_on_its_own_Paddle_subscription_so_ending_one_leaves_the_other_charged()
    {
        var (clock, customer, first) = await PaidCheckoutAsync(await PlanAsync());
        var second = await _pay.CheckoutAsync(customer, await PlanAsync(), "USD");
        var transaction = new Uri(second.Str("url")!).Query.Split("_ptxn=")[1];
        await DeliverAllAsync(server.Paddle.CompleteCheckout(transaction));
        var secondPaddle = server.Paddle.Object(transaction)["subscription_id"]!.GetValue<string>();
        var subscriptions = (await server.TestAdmin.GetAsync($"/api/v1/subscriptions?customer_id={customer}")).Data;
        var ending = subscriptions.Single(s => s!["id"]!.GetValue<string>() == second.Body!["subscription_id"]!.GetValue<string>())!["id"]!.GetValue<string>();

        (await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{ending}/cancel", new { at = "now" })).Status.ShouldBe(HttpStatusCode.OK);
        await server.TestAdmin.AdvanceClockAsync(clock, At(1, 2));
        server.Paddle.Object(secondPaddle)["status"]!.GetValue<string>().ShouldBe("canceled");

        await server.TestAdmin.AdvanceClockAsync(clock, At(2, 1).AddHours(1));

        server.Paddle.Requests.Count(r => r.Path == $"/subscriptions/{first}/charge").ShouldBe(1); // the first's renewal, on its own Paddle subscription
        server.Paddle.Requests.Count(r => r.Path == $"/subscriptions/{secondPaddle}/charge").ShouldBe(0);
        var renewal = (await _pay.InvoicesAsync(customer)).Single(i => i["billing_reason"]!.GetValue<string>() == "subscription_cycle");
        renewal["status"]!.GetValue<string>().ShouldBe("paid");
    }

    [Fact]
    public async Task An_expired_checkout_is_canceled_at_Paddle_and_one_paid_all_the_same_sells_nothing_and_is_reported()
    {
        var plan = await PlanAsync();
        var (clock, unpaid) = await CustomerAsync();
        var (lateClock, latePayer) = await CustomerAsync();
        var open = await _pay.CheckoutAsync(unpaid, plan, "USD");
        var late = await _pay.CheckoutAsync(latePayer, plan, "USD");
        var openTransaction = new Uri(open.Str("url")!).Query.Split("_ptxn=")[1];
        var paidLate = server.Paddle.CompleteCheckout(new Uri(late.Str("url")!).Query.Split("_ptxn=")[1]); // paid at Paddle, its news held up

        server.Clock.Advance(Tollgate.Payments.Checkout.CheckoutService.Lifetime + TimeSpan.FromMinutes(1)); // Paddle's time, past both checkouts' expiry
        await server.TestAdmin.AdvanceClockAsync(clock, At(1, 1).AddHours(1));
        await server.TestAdmin.AdvanceClockAsync(lateClock, At(1, 1).AddHours(1));

        server.Paddle.Object(openTransaction)["status"]!.GetValue<string>().ShouldBe("canceled");
        Should.Throw<InvalidOperationException>(() => server.Paddle.CompleteCheckout(openTransaction)); // its page takes no payment now
        (await server.TestAdmin.GetAsync($"/api/v1/checkout-sessions/{late.Id}")).Str("status").ShouldBe("expired");

        (await DeliverAllAsync(paidLate)).ShouldBe(["ignored", "applied", "unmatched"]);

        (await server.TestAdmin.GetAsync($"/api/v1/checkout-sessions/{late.Id}")).Str("status").ShouldBe("expired"); // sold nothing
        (await _pay.PaymentsAsync(latePayer)).ShouldHaveSingleItem()["status"]!.GetValue<string>().ShouldBe("succeeded"); // the money, recorded
        await using var connection = await server.Get<Tollgate.Storage.Database>().OpenAsync();
        (await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection, "SELECT COUNT(*) FROM outbox WHERE type = 'checkout_session.paid_after_close' AND customer_id = @latePayer", new { latePayer }))
            .ShouldBe(1);
    }

    [Fact]
    public async Task A_customer_Paddle_cannot_make_without_an_email_of_its_own_is_refused_at_checkout_and_nothing_is_made()
    {
        var plan = await PlanAsync();
        var (_, noEmail) = await CustomerAsync(withEmail: false);
        var (_, first) = await CustomerAsync();
        var email = (await server.TestAdmin.GetAsync($"/api/v1/customers/{first}")).Str("email");
        var (_, sameEmail) = await _pay.CustomerAsync("Lin's Twin", email, "DE", provider: "paddle");
        (await _pay.CheckoutAsync(first, plan, "USD")).Status.ShouldBe(HttpStatusCode.Created);

        var without = await _pay.CheckoutAsync(noEmail, plan, "USD");
        var taken = await _pay.CheckoutAsync(sameEmail, plan, "USD");

        (without.Status, without.Code).ShouldBe((HttpStatusCode.Conflict, "email_required"));
        (taken.Status, taken.Code).ShouldBe((HttpStatusCode.Conflict, "email_taken"));
        foreach (var refused in (string[])[noEmail, sameEmail])
        {
            (await server.TestAdmin.GetAsync($"/api/v1/subscriptions?customer_id={refused}")).Data.ShouldBeEmpty();
            (await _pay.InvoicesAsync(refused)).ShouldBeEmpty();
        }
    }
}

[Collection(SqliteCollection.Name)]
public sealed class PaddlePaymentsOnSqlite(SqliteServer server) : PaddlePaymentTests(server);

[Collection(PostgresCollection.Name)]
public sealed class PaddlePaymentsOnPostgres(PostgresServer server) : PaddlePaymentTests(server);
