using System.Text;
using Tollgate.Payments.Providers;
using Tollgate.Payments.Providers.Paddle;

namespace Tollgate.Tests.Payments;

/// <summary>Paddle's notifications read as Tollgate's effects: which transaction completes a checkout, which pays an invoice, which changes nothing.</summary>
public sealed class PaddleEventTests
{
    static InboundEvent Read(string type, string data) =>
        PaddleEvents.Read(Encoding.UTF8.GetBytes($$"""{"event_id":"evt_1","event_type":"{{type}}","occurred_at":"2027-02-01T00:00:00Z","data":{{data}}}"""))!;

    const string CheckoutData = """{"tollgate_checkout_id":"chk_1","tollgate_invoice_id":"in_first","tollgate_customer_id":"cus_1"}""";

    static string Transaction(string origin, string items, string status = "completed") => $$$"""
        {"id":"txn_1","status":"{{{status}}}","origin":"{{{origin}}}","customer_id":"ctm_1","subscription_id":"sub_1","currency_code":"EUR",
         "custom_data":{{{CheckoutData}}},"items":{{{items}}},"updated_at":"2027-02-01T00:00:01.123456Z",
         "details":{"totals":{"subtotal":"2900","tax":"551","total":"3451","grand_total":"3451","currency_code":"EUR"}},
         "payments":[{"status":"error","error_code":"declined","created_at":"2027-02-01T00:00:00Z"}]}
        """;

    [Fact]
    public void The_checkouts_own_transaction_completes_the_checkout_with_the_first_invoices_payment_and_paddles_tax()
    {
        var read = Read("transaction.completed", Transaction("api", """[{"price":{"custom_data":{"tollgate_invoice_id":"in_first"}}}]"""));

        var completed = read.Effects.ShouldHaveSingleItem().ShouldBeOfType<CheckoutCompleted>();
        (completed.ProviderSessionId, completed.ProviderSubscriptionId, completed.PaymentMethod).ShouldBe(("txn_1", "sub_1", "sub_1"));
        var paid = completed.Payment.ShouldNotBeNull();
        (paid.InvoiceId, paid.Status, paid.Amount, paid.Tax, paid.Currency).ShouldBe(("in_first", PaymentStatus.Succeeded, 3451L, 551L, "EUR"));
        paid.At.ShouldBe(new DateTimeOffset(2027, 2, 1, 0, 0, 1, TimeSpan.Zero).AddTicks(1234560));
    }

    [Fact]
    public void A_charge_on_the_subscription_pays_its_items_invoice_though_it_carries_the_checkouts_custom_data()
    {
        var read = Read("transaction.completed", Transaction("subscription_charge", """[{"price":{"custom_data":{"tollgate_invoice_id":"in_renewal","tollgate_charge":"k"}}}]"""));

        var paid = read.Effects.ShouldHaveSingleItem().ShouldBeOfType<PaymentReported>();
        (paid.InvoiceId, paid.Status).ShouldBe(("in_renewal", PaymentStatus.Succeeded));
    }

    [Fact]
    public void The_billing_agreements_renewal_at_zero_and_a_failed_attempt_at_the_checkout_change_nothing()
    {
        const string agreement = """[{"price":{"custom_data":{"tollgate_customer_id":"cus_1"}}}]""";
        Read("transaction.completed", Transaction("subscription_recurring", agreement)).Effects.ShouldBeEmpty(); // the checkout's custom data, copied: still nothing
        Read("transaction.completed", Transaction("subscription_recurring", agreement).Replace(CheckoutData, "null")).Effects.ShouldBeEmpty();
        Read("transaction.payment_failed", Transaction("api", agreement, status: "ready")).Effects.ShouldBeEmpty();

        var failed = Read("transaction.payment_failed", Transaction("subscription_charge", """[{"price":{"custom_data":{"tollgate_invoice_id":"in_renewal"}}}]""", status: "ready"));
        var news = failed.Effects.ShouldHaveSingleItem().ShouldBeOfType<PaymentReported>();
        (news.Status, news.FailureCode).ShouldBe((PaymentStatus.Failed, "declined"));
    }

    [Fact]
    public void A_refund_is_found_by_the_refund_id_tollgate_wrote_in_its_reason_and_its_zero_time_falls_back_to_its_creation()
    {
        var read = Read("adjustment.created", """
            {"id":"adj_1","action":"refund","transaction_id":"txn_1","reason":"rf_01abc: requested","status":"pending_approval","currency_code":"USD",
             "totals":{"total":"1100"},"created_at":"2027-02-02T00:00:00Z","updated_at":"0001-01-01T00:00:00Z"}
            """);

        var refund = read.Effects.ShouldHaveSingleItem().ShouldBeOfType<RefundReported>();
        (refund.ProviderRefundId, refund.ProviderPaymentId, refund.RefundId, refund.Status, refund.Amount).ShouldBe(("adj_1", "txn_1", "rf_01abc", RefundStatus.Pending, 1100L));
        refund.At.ShouldBe(new DateTimeOffset(2027, 2, 2, 0, 0, 0, TimeSpan.Zero));
    }

    [Fact]
    public void Not_an_event_is_none_and_an_unknown_type_has_no_effects()
    {
        PaddleEvents.Read(Encoding.UTF8.GetBytes("""{"event_type":"transaction.completed","data":{}}""")).ShouldBeNull();
        PaddleEvents.Read(Encoding.UTF8.GetBytes("not json")).ShouldBeNull();
        Read("address.created", """{"id":"add_1"}""").Effects.ShouldBeEmpty();
    }
}

/// <summary>Which Paddle a key reaches: a sandbox key, Paddle's sandbox, unless the operator points it elsewhere; a live key is refused at the sandbox.</summary>
public sealed class PaddleEnvironmentTests
{
    [Theory]
    [InlineData("pdl_sdbx_apikey_01abc_secret", null, "https://sandbox-api.paddle.com/")]
    [InlineData("pdl_live_apikey_01abc_secret", null, "https://api.paddle.com/")]
    [InlineData("a_legacy_key_without_a_mark", null, "https://api.paddle.com/")]
    [InlineData("pdl_sdbx_apikey_01abc_secret", "http://127.0.0.1:5555", "http://127.0.0.1:5555/")]
    public void A_sandbox_key_reaches_the_sandbox_unless_the_base_url_is_set(string key, string? baseUrl, string reached)
    {
        var options = new Tollgate.Payments.PaddleOptions { ApiKey = key };
        if (baseUrl is not null) options.BaseUrl = baseUrl;
        PaddleProvider.BaseUrl(options).ToString().ShouldBe(reached);
    }

    [Fact]
    public void A_live_key_set_against_the_sandbox_fails_at_start_with_a_clear_message()
    {
        var options = new Tollgate.Payments.PaymentsOptions
        {
            Paddle = new() { ApiKey = "pdl_live_apikey_01abc_secret", WebhookSecret = "pdl_ntfset_x", BaseUrl = Tollgate.Payments.PaddleOptions.SandboxUrl },
        };

        var result = new Tollgate.Payments.PaymentsOptionsValidation().Validate(null, options);

        result.Failed.ShouldBeTrue();
        result.FailureMessage.ShouldContain("live key");
    }
}
