using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Tollgate.Payments.Webhooks;

namespace Tollgate.Payments.Providers.Stripe;

/// <summary>
/// Stripe, as the payment processor under Tollgate's billing: a Stripe customer per Tollgate customer, a Checkout
/// Session in <c>payment</c> mode for an amount due (the card saved with <c>setup_future_usage=off_session</c>) or in
/// <c>setup</c> mode for nothing, PaymentIntents confirmed off session for later invoices, refunds, the billing portal.
/// Form-encoded requests with the secret key and an <c>Idempotency-Key</c>; the API version pinned.
/// Wire formats: docs/payments.md, "Stripe".
/// </summary>
public sealed class StripeProvider(PaymentsHttp http, Credentials.PaymentSettings settings) : IPaymentProvider
{
    /// <summary>The API version every request is made and every webhook is read at.</summary>
    public const string ApiVersion = "2026-07-29.dahlia";

    const string InvoiceKey = MetadataKeys.Invoice;
    const string CustomerKey = MetadataKeys.Customer;
    const string CheckoutKey = MetadataKeys.Checkout;

    StripeOptions Settings => settings.Current.Stripe;

    public PaymentProviderName Name => PaymentProviderName.Stripe;

    public bool ChargesOffSession => true;

    public async Task<string> CreateCustomerAsync(ProviderCustomer customer, string idempotencyKey, CancellationToken ct)
    {
        var form = new List<KeyValuePair<string, string>> { new("name", customer.Name), new($"metadata[{CustomerKey}]", customer.CustomerId) };
        if (customer.Email is { } email) form.Add(new("email", email));
        if (customer.Country is { } country) form.Add(new("address[country]", country));
        using var answer = await PostAsync("/v1/customers", form, idempotencyKey, ct);
        return answer.RootElement.Text("id")!;
    }

    public async Task<HostedCheckout> CreateCheckoutAsync(CheckoutOrder order, string idempotencyKey, CancellationToken ct)
    {
        var currency = order.Currency.ToLowerInvariant();
        var form = new List<KeyValuePair<string, string>>
        {
            new("client_reference_id", order.CheckoutId),
            new("success_url", order.SuccessUrl),
            new("cancel_url", order.CancelUrl),
            new("expires_at", order.ExpiresAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
            new($"metadata[{CheckoutKey}]", order.CheckoutId),
            new($"metadata[{CustomerKey}]", order.CustomerId),
        };
        if (order.ProviderCustomerId is { } customer) form.Add(new("customer", customer));
        if (order.Amount > 0)
        {
            form.AddRange(
            [
                new("mode", "payment"),
                new("line_items[0][price_data][currency]", currency),
                new("line_items[0][price_data][unit_amount]", order.Amount.ToString(CultureInfo.InvariantCulture)),
                new("line_items[0][price_data][product_data][name]", order.Description),
                new("line_items[0][quantity]", "1"),
                new("payment_intent_data[setup_future_usage]", "off_session"),
                new($"payment_intent_data[metadata][{CheckoutKey}]", order.CheckoutId),
                new($"payment_intent_data[metadata][{CustomerKey}]", order.CustomerId),
            ]);
            if (order.InvoiceId is { } invoice)
            {
                form.Add(new($"metadata[{InvoiceKey}]", invoice));
                form.Add(new($"payment_intent_data[metadata][{InvoiceKey}]", invoice));
            }
        }
        else
        {
            form.AddRange([new("mode", "setup"), new("currency", currency), new($"setup_intent_data[metadata][{CheckoutKey}]", order.CheckoutId)]);
        }

        using var answer = await PostAsync("/v1/checkout/sessions", form, idempotencyKey, ct);
        var session = answer.RootElement;
        return new HostedCheckout(session.Text("id")!, session.Text("url")!, session.UnixTime("expires_at") ?? order.ExpiresAt);
    }

    public async Task<string> PortalUrlAsync(string providerCustomerId, string returnUrl, CancellationToken ct)
    {
        using var answer = await PostAsync("/v1/billing_portal/sessions", [new("customer", providerCustomerId), new("return_url", returnUrl)], null, ct);
        return answer.RootElement.Text("url")!;
    }

    public async Task<ChargeOutcome> ChargeAsync(OffSessionCharge charge, string idempotencyKey, CancellationToken ct)
    {
        List<KeyValuePair<string, string>> form =
        [
            new("amount", charge.Amount.ToString(CultureInfo.InvariantCulture)),
            new("currency", charge.Currency.ToLowerInvariant()),
            new("customer", charge.ProviderCustomerId),
            new("payment_method", charge.PaymentMethod),
            new("off_session", "true"),
            new("confirm", "true"),
            new($"metadata[{InvoiceKey}]", charge.InvoiceId),
            new($"metadata[{CustomerKey}]", charge.CustomerId),
        ];
        try
        {
            using var answer = await PostAsync("/v1/payment_intents", form, idempotencyKey, ct);
            return Outcome(answer.RootElement);
        }
        catch (StripeCardError declined)
        {
            // 402: the card was declined; the PaymentIntent exists, in requires_payment_method, and is answered inside the error.
            return new ChargeOutcome(declined.PaymentIntentId, PaymentStatus.Failed, declined.Code, declined.Message);
        }
    }

    public async Task<RefundOutcome> RefundAsync(RefundOrder refund, string idempotencyKey, CancellationToken ct)
    {
        var form = new List<KeyValuePair<string, string>> { new("payment_intent", refund.ProviderPaymentId), new("metadata[tollgate_refund_id]", refund.RefundId) };
        if (refund.Amount is { } amount) form.Add(new("amount", amount.ToString(CultureInfo.InvariantCulture)));
        if (refund.Reason is "duplicate" or "fraudulent" or "requested_by_customer") form.Add(new("reason", refund.Reason));
        using var answer = await PostAsync("/v1/refunds", form, idempotencyKey, ct);
        var made = answer.RootElement;
        return new RefundOutcome(made.Text("id")!, RefundState(made.Text("status")), made.Long("amount") ?? 0);
    }

    public SignatureCheck Verify(IHeaderDictionary headers, ReadOnlySpan<byte> body, DateTimeOffset now) =>
        StripeSignature.Check(headers["Stripe-Signature"], body, WebhookSecrets.Of(Settings.WebhookSecret, Settings.PreviousWebhookSecret), now, settings.Current.SignatureTolerance);

    public async Task<InboundEvent?> ReadAsync(IHeaderDictionary headers, byte[] body, CancellationToken ct)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (root.Text("id") is not { } id || root.Text("type") is not { } type || !root.TryGetProperty("data", out var data)
            || !data.TryGetProperty("object", out var target) || target.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var at = target.UnixTime("created") ?? root.UnixTime("created") ?? DateTimeOffset.UnixEpoch;
        IReadOnlyList<PaymentEffect> effects = type switch
        {
            "checkout.session.completed" or "checkout.session.async_payment_succeeded" => [await CompletedAsync(target.Text("id")!, ct)],
            "checkout.session.expired" => [new CheckoutExpired(target.Text("id")!, at)],
            // The PaymentIntent as it is now, not as the event rendered it: of two events read out of order, the later state wins.
            "payment_intent.succeeded" or "payment_intent.payment_failed" or "payment_intent.processing" =>
                await CurrentIntentAsync(target.Text("id")!, ct) is { } payment ? [payment] : [],
            "refund.created" or "refund.updated" or "refund.failed" or "charge.refund.updated" => Refund(target) is { } refund ? [refund] : [],
            _ => [],
        };
        return new InboundEvent(id, type, effects);
    }

    async Task<CheckoutCompleted> CompletedAsync(string sessionId, CancellationToken ct)
    {
        using var answer = await GetAsync($"/v1/checkout/sessions/{Uri.EscapeDataString(sessionId)}?expand[]=payment_intent&expand[]=setup_intent", ct);
        var session = answer.RootElement;
        var at = session.UnixTime("created") ?? DateTimeOffset.UnixEpoch;
        PaymentReported? payment = null;
        string? method = null;
        if (session.TryGetProperty("payment_intent", out var intent) && intent.ValueKind == JsonValueKind.Object)
        {
            payment = Reported(intent);
            method = payment.PaymentMethod;
        }
        else if (session.TryGetProperty("setup_intent", out var setup) && setup.ValueKind == JsonValueKind.Object && setup.Text("status") == "succeeded")
        {
            method = Id(setup, "payment_method");
        }

        return new CheckoutCompleted(session.Text("id")!, Id(session, "customer"), method, payment, at);
    }

    async Task<PaymentReported?> CurrentIntentAsync(string intentId, CancellationToken ct)
    {
        using var answer = await GetAsync($"/v1/payment_intents/{Uri.EscapeDataString(intentId)}", ct);
        return Reported(answer.RootElement);
    }

    static PaymentReported Reported(JsonElement intent)
    {
        var metadata = intent.Child("metadata");
        var outcome = Outcome(intent);
        var amount = (outcome.Status == PaymentStatus.Succeeded ? intent.Long("amount_received") : null) ?? intent.Long("amount") ?? 0;
        return new PaymentReported(
            intent.Text("id")!, metadata.Text(InvoiceKey),
            metadata.Text(CustomerKey),
            outcome.Status, amount, (intent.Text("currency") ?? "").ToUpperInvariant(),
            intent.Text("setup_future_usage") == "off_session" || intent.Text("setup_future_usage") == "on_session" ? Id(intent, "payment_method") : null,
            outcome.FailureCode, outcome.FailureMessage, intent.UnixTime("created") ?? DateTimeOffset.UnixEpoch);
    }

    static ChargeOutcome Outcome(JsonElement intent)
    {
        var status = intent.Text("status") switch
        {
            "succeeded" => PaymentStatus.Succeeded,
            "processing" or "requires_capture" or "requires_confirmation" => PaymentStatus.Pending,
            _ => intent.TryGetProperty("last_payment_error", out var error) && error.ValueKind == JsonValueKind.Object ? PaymentStatus.Failed : PaymentStatus.Pending,
        };
        var failure = intent.Child("last_payment_error");
        return new ChargeOutcome(intent.Text("id"), status,
            failure.Text("decline_code") ?? failure.Text("code"),
            failure.Text("message"));
    }

    static RefundReported? Refund(JsonElement refund)
    {
        if (refund.Text("object") != "refund" || refund.Text("id") is not { } id || Id(refund, "payment_intent") is not { } intent) return null;
        var metadata = refund.Child("metadata").Text("tollgate_refund_id");
        return new RefundReported(id, intent, metadata, RefundState(refund.Text("status")), refund.Long("amount") ?? 0,
            (refund.Text("currency") ?? "").ToUpperInvariant(), refund.UnixTime("created") ?? DateTimeOffset.UnixEpoch);
    }

    static RefundStatus RefundState(string? status) => status switch
    {
        "succeeded" => RefundStatus.Succeeded,
        "failed" or "canceled" => RefundStatus.Failed,
        _ => RefundStatus.Pending,
    };

    async Task<JsonDocument> PostAsync(string path, List<KeyValuePair<string, string>> form, string? idempotencyKey, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(Settings.BaseUrl), path)) { Content = new FormUrlEncodedContent(form) };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return await SendAsync(request, ct);
    }

    async Task<JsonDocument> GetAsync(string pathAndQuery, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(Settings.BaseUrl), pathAndQuery));
        return await SendAsync(request, ct);
    }

    async Task<JsonDocument> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Settings.SecretKey);
        request.Headers.Add("Stripe-Version", ApiVersion);
        return await http.SendAsync(request, Name, static (body, status) =>
        {
            var error = body.Child("error");
            var code = error.Text("decline_code") ?? error.Text("code");
            var message = error.Text("message") ?? $"HTTP {status}";
            if (status == 402) throw new StripeCardError(error.Child("payment_intent").Text("id"), code, message);
            return (code, message);
        }, ct);
    }

    /// <summary>An expandable field: its id, whether Stripe answered the id or the object.</summary>
    static string? Id(JsonElement element, string name) =>
        !element.TryGetProperty(name, out var value) ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : value.ValueKind == JsonValueKind.Object ? value.Text("id")
        : null;

    sealed class StripeCardError(string? paymentIntentId, string? code, string message) : Exception(message)
    {
        public string? PaymentIntentId { get; } = paymentIntentId;
        public string? Code { get; } = code;
    }
}
