using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Tollgate.Payments.Webhooks;

namespace Tollgate.Payments.Providers.Razorpay;

/// <summary>
/// Razorpay, for India: a Razorpay customer per Tollgate customer, and a Payment Link for everything Tollgate collects,
/// the first invoice of a checkout as every later one (Razorpay sends those by email and SMS, and their expiry unpaid is
/// the invoice's failed payment, so dunning retries with a new link). Payment links save no card, so Razorpay charges
/// nothing off session, and takes no checkout for nothing (a trial is subscribed directly). JSON requests with HTTP Basic
/// <c>key_id:key_secret</c>; a link's <c>reference_id</c> is the checkout's or the invoice attempt's id, so a link asked
/// for twice is made once; refunds carry <c>X-Refund-Idempotency</c>. Wire formats: docs/payments.md, "Razorpay".
/// </summary>
public sealed class RazorpayProvider(PaymentsHttp http, Credentials.PaymentSettings settings) : IPaymentProvider
{
    RazorpayOptions Settings => settings.Current.Razorpay;

    public PaymentProviderName Name => PaymentProviderName.Razorpay;

    public bool ChargesOffSession => false;

    public async Task<string> CreateCustomerAsync(ProviderCustomer customer, string idempotencyKey, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["name"] = customer.Name.Length > 50 ? customer.Name[..50] : customer.Name,
            ["fail_existing"] = "0", // the existing customer with the same details, rather than an error
            ["notes"] = new JsonObject { [MetadataKeys.Customer] = customer.CustomerId },
        };
        if (customer.Email is { } email) body["email"] = email;
        using var answer = await SendAsync(HttpMethod.Post, "/v1/customers", body, null, ct);
        return answer.RootElement.Text("id")!;
    }

    public async Task<HostedCheckout> CreateCheckoutAsync(CheckoutOrder order, string idempotencyKey, CancellationToken ct)
    {
        if (order.Amount <= 0)
        {
            throw new PaymentProviderException(Name, 400, "nothing_to_pay",
                "Razorpay takes no payment of nothing: subscribe the customer directly; its first invoice is sent as a payment link.");
        }

        var notes = new JsonObject { [MetadataKeys.Customer] = order.CustomerId };
        if (!order.Notify) notes[MetadataKeys.Checkout] = order.CheckoutId;
        if (order.InvoiceId is { } invoice) notes[MetadataKeys.Invoice] = invoice;
        var body = new JsonObject
        {
            ["amount"] = order.Amount,
            ["currency"] = order.Currency,
            ["accept_partial"] = false,
            ["reference_id"] = order.CheckoutId,
            ["description"] = order.Description,
            ["expire_by"] = order.ExpiresAt.ToUnixTimeSeconds(),
            ["notify"] = new JsonObject { ["sms"] = order.Notify, ["email"] = order.Notify },
            ["reminder_enable"] = order.Notify,
            ["notes"] = notes,
        };
        if (order.SuccessUrl.Length > 0)
        {
            body["callback_url"] = order.SuccessUrl;
            body["callback_method"] = "get";
        }

        if (order.CustomerName is not null || order.CustomerEmail is not null)
        {
            var customer = new JsonObject();
            if (order.CustomerName is { } name) customer["name"] = name;
            if (order.CustomerEmail is { } email) customer["email"] = email;
            body["customer"] = customer;
        }

        JsonDocument answer;
        try
        {
            answer = await SendAsync(HttpMethod.Post, "/v1/payment_links", body, null, ct);
        }
        catch (PaymentProviderException e) when (e.Status == 400 && e.Message.Contains("reference", StringComparison.OrdinalIgnoreCase))
        {
            // Asked for before (a call that timed out after Razorpay made the link): the link made then.
            using var found = await SendAsync(HttpMethod.Get, $"/v1/payment_links?reference_id={Uri.EscapeDataString(order.CheckoutId)}", null, null, ct);
            var made = found.RootElement.Child("payment_links");
            if (made.ValueKind != JsonValueKind.Array || made.GetArrayLength() == 0) throw;
            return Hosted(made[0], order);
        }

        using (answer) return Hosted(answer.RootElement, order);
    }

    static HostedCheckout Hosted(JsonElement link, CheckoutOrder order) =>
        new(link.Text("id")!, link.Text("short_url")!, link.UnixTime("expire_by") ?? order.ExpiresAt);

    public Task<string> PortalUrlAsync(string providerCustomerId, string returnUrl, CancellationToken ct) =>
        throw new PaymentProviderException(Name, 400, "no_portal", "Razorpay has no customer portal; its payment links and receipts are sent to the customer.");

    public Task<ChargeOutcome> ChargeAsync(OffSessionCharge charge, string idempotencyKey, CancellationToken ct) =>
        throw new PaymentProviderException(Name, 400, "no_off_session", "Tollgate charges nothing off session at Razorpay: invoices are sent as payment links.");

    public async Task<RefundOutcome> RefundAsync(RefundOrder refund, string idempotencyKey, CancellationToken ct)
    {
        var body = new JsonObject { ["notes"] = new JsonObject { ["tollgate_refund_id"] = refund.RefundId } };
        if (refund.Amount is { } amount) body["amount"] = amount;
        using var answer = await SendAsync(HttpMethod.Post, $"/v1/payments/{Uri.EscapeDataString(refund.ProviderPaymentId)}/refund", body, idempotencyKey, ct);
        var made = answer.RootElement;
        return new RefundOutcome(made.Text("id")!, RefundState(made.Text("status")), made.Long("amount") ?? 0);
    }

    public SignatureCheck Verify(IHeaderDictionary headers, ReadOnlySpan<byte> body, DateTimeOffset now) =>
        BodySignature.Check(headers["X-Razorpay-Signature"], body, WebhookSecrets.Of(Settings.WebhookSecret, Settings.PreviousWebhookSecret));

    public Task<InboundEvent?> ReadAsync(IHeaderDictionary headers, byte[] body, CancellationToken ct)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        // The event's id is its header alone: the body carries none.
        if (headers["X-Razorpay-Event-Id"].ToString() is not { Length: > 0 } id || root.Text("entity") != "event" || root.Text("event") is not { } type)
        {
            return Task.FromResult<InboundEvent?>(null);
        }

        var payload = root.Child("payload");
        var payment = payload.Child("payment").Child("entity");
        var link = payload.Child("payment_link").Child("entity");
        var refund = payload.Child("refund").Child("entity");
        IReadOnlyList<PaymentEffect> effects = type switch
        {
            "payment_link.paid" when Reported(payment, link.Child("notes")) is { } paid => link.Child("notes").Text(MetadataKeys.Checkout) is not null
                ? [new CheckoutCompleted(link.Text("id")!, null, null, paid, paid.At)]
                : [paid],
            "payment_link.expired" or "payment_link.cancelled" => Expired(link),
            "payment.captured" or "payment.failed" when Reported(payment, default) is { } news => [news],
            "refund.created" or "refund.processed" or "refund.failed" when refund.Text("id") is { } refundId && refund.Text("payment_id") is { } paymentId =>
                [new RefundReported(refundId, paymentId, refund.Child("notes").Text("tollgate_refund_id"),
                    type == "refund.failed" ? RefundStatus.Failed : RefundState(refund.Text("status")), refund.Long("amount") ?? 0,
                    refund.Text("currency") ?? "INR", refund.UnixTime("created_at") ?? DateTimeOffset.UnixEpoch)],
            _ => [],
        };
        return Task.FromResult<InboundEvent?>(new InboundEvent(id, type, effects));
    }

    /// <summary>
    /// A link that expired or was cancelled unpaid: a checkout's ends; an invoice's is that invoice's failed payment, so
    /// dunning schedules its retry, and the retry sends a new link.
    /// </summary>
    static IReadOnlyList<PaymentEffect> Expired(JsonElement link)
    {
        if (link.Text("id") is not { } id) return [];
        var notes = link.Child("notes");
        var at = link.UnixTime("expired_at") ?? link.UnixTime("cancelled_at") ?? link.UnixTime("updated_at") ?? DateTimeOffset.UnixEpoch;
        if (notes.Text(MetadataKeys.Checkout) is not null) return [new CheckoutExpired(id, at)];
        if (notes.Text(MetadataKeys.Invoice) is not { } invoice) return [];
        return [new PaymentReported(id, invoice, notes.Text(MetadataKeys.Customer), PaymentStatus.Failed, link.Long("amount") ?? 0, link.Text("currency") ?? "INR",
            null, "payment_link_expired", "The payment link expired unpaid.", at)];
    }

    /// <summary>A payment entity as news; a link's payment carries no notes of its own, so the link's are used.</summary>
    static PaymentReported? Reported(JsonElement payment, JsonElement linkNotes)
    {
        if (payment.Text("id") is not { } id) return null;
        var notes = linkNotes.ValueKind == JsonValueKind.Object ? linkNotes : payment.Child("notes");
        var status = payment.Text("status") switch
        {
            "captured" or "refunded" => PaymentStatus.Succeeded,
            "failed" => PaymentStatus.Failed,
            _ => PaymentStatus.Pending,
        };
        var reason = payment.Text("error_reason");
        var code = payment.Text("error_code") is { Length: > 0 } c ? reason is { Length: > 0 } && reason != "NA" ? reason : c : null;
        return new PaymentReported(id, notes.Text(MetadataKeys.Invoice), notes.Text(MetadataKeys.Customer), status, payment.Long("amount") ?? 0,
            payment.Text("currency") ?? "INR", null, status == PaymentStatus.Failed ? code : null,
            status == PaymentStatus.Failed ? payment.Text("error_description") : null, payment.UnixTime("created_at") ?? DateTimeOffset.UnixEpoch);
    }

    static RefundStatus RefundState(string? status) => status switch
    {
        "processed" => RefundStatus.Succeeded,
        "failed" => RefundStatus.Failed,
        _ => RefundStatus.Pending,
    };

    async Task<JsonDocument> SendAsync(HttpMethod method, string path, JsonObject? body, string? refundKey, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri(new Uri(Settings.BaseUrl), path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Settings.KeyId}:{Settings.KeySecret}")));
        if (refundKey is not null) request.Headers.Add("X-Refund-Idempotency", refundKey);
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        return await http.SendAsync(request, Name, static (body, _) => (body.Child("error").Text("code"), body.Child("error").Text("description")), ct);
    }
}
