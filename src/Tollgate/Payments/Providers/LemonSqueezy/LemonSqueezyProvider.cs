using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tollgate.Payments.Webhooks;

namespace Tollgate.Payments.Providers.LemonSqueezy;

/// <summary>
/// LemonSqueezy, as merchant of record: it sells to the customer, adds its tax and collects. Its API charges nothing
/// off session (no endpoint makes a charge; a subscription's amounts are fixed by its variant), so Tollgate sells
/// every invoice as a checkout of the store's invoice variant at the invoice's amount (<c>custom_price</c>): the first
/// one as the checkout, each later one as a payment link Tollgate hands to the customer (an
/// <c>invoice.payment_link</c> event), whose expiry unpaid is the attempt's failed payment. JSON:API bodies
/// (<c>application/vnd.api+json</c>) with a bearer key; the Tollgate ids travel in <c>checkout_data.custom</c> and come
/// back as the order's <c>meta.custom_data</c>. Wire formats: docs/payments.md, "LemonSqueezy".
/// </summary>
public sealed class LemonSqueezyProvider(PaymentsHttp http, Credentials.PaymentSettings settings) : IPaymentProvider
{
    static readonly MediaTypeHeaderValue JsonApi = new("application/vnd.api+json");

    LemonSqueezyOptions Settings => settings.Current.LemonSqueezy;

    public PaymentProviderName Name => PaymentProviderName.LemonSqueezy;

    public bool ChargesOffSession => false;

    static JsonObject Relationship(string type, string id) => new() { ["data"] = new JsonObject { ["type"] = type, ["id"] = id } };

    public async Task<string> CreateCustomerAsync(ProviderCustomer customer, string idempotencyKey, CancellationToken ct)
    {
        if (customer.Email is not { } email)
            throw new PaymentProviderException(Name, 400, "email_required", $"LemonSqueezy makes no customer without an email: set customer {customer.CustomerId}'s email first.");
        var store = Settings.StoreId!;
        using (var found = await SendAsync(HttpMethod.Get, $"/v1/customers?filter[store_id]={Uri.EscapeDataString(store)}&filter[email]={Uri.EscapeDataString(email)}", null, ct))
        {
            // LemonSqueezy keeps one customer per email in a store: one made before (by a try that timed out) is that one.
            if (found.RootElement.Items("data").Select(c => c.Text("id")).FirstOrDefault() is { } existing) return existing;
        }

        var attributes = new JsonObject { ["name"] = customer.Name, ["email"] = email };
        if (customer.Country is { } country) attributes["country"] = country;
        var body = new JsonObject
        {
            ["data"] = new JsonObject { ["type"] = "customers", ["attributes"] = attributes, ["relationships"] = new JsonObject { ["store"] = Relationship("stores", store) } },
        };
        using var made = await SendAsync(HttpMethod.Post, "/v1/customers", body, ct);
        return made.RootElement.Child("data").Text("id")!;
    }

    public async Task<HostedCheckout> CreateCheckoutAsync(CheckoutOrder order, string idempotencyKey, CancellationToken ct)
    {
        if (order.Amount <= 0)
        {
            throw new PaymentProviderException(Name, 400, "nothing_to_pay",
                "LemonSqueezy sells nothing at 0 through Tollgate: subscribe the customer directly; its first invoice is sent as a payment link.");
        }

        var custom = new JsonObject { [MetadataKeys.Customer] = order.CustomerId };
        if (!order.Notify) custom[MetadataKeys.Checkout] = order.CheckoutId;
        else custom[LemonSqueezyEvents.AttemptKey] = order.CheckoutId;
        if (order.InvoiceId is { } invoice) custom[MetadataKeys.Invoice] = invoice;
        var data = new JsonObject { ["custom"] = custom };
        if (order.CustomerEmail is { } email) data["email"] = email;
        if (order.CustomerName is { } name) data["name"] = name;
        var product = new JsonObject { ["name"] = order.Description, ["enabled_variants"] = new JsonArray(long.Parse(Settings.VariantId!, System.Globalization.CultureInfo.InvariantCulture)) };
        if (order.SuccessUrl.Length > 0) product["redirect_url"] = order.SuccessUrl;
        var body = new JsonObject
        {
            ["data"] = new JsonObject
            {
                ["type"] = "checkouts",
                ["attributes"] = new JsonObject
                {
                    ["custom_price"] = order.Amount, ["product_options"] = product, ["checkout_data"] = data,
                    ["expires_at"] = order.ExpiresAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
                },
                ["relationships"] = new JsonObject { ["store"] = Relationship("stores", Settings.StoreId!), ["variant"] = Relationship("variants", Settings.VariantId!) },
            },
        };
        using var answer = await SendAsync(HttpMethod.Post, "/v1/checkouts", body, ct);
        var checkout = answer.RootElement.Child("data");
        return new HostedCheckout(checkout.Text("id")!, checkout.Child("attributes").Text("url")!, checkout.Child("attributes").Time("expires_at") ?? order.ExpiresAt);
    }

    /// <summary>The customer's portal link, fresh (LemonSqueezy signs it for a day); none until the customer holds a LemonSqueezy subscription.</summary>
    public async Task<string> PortalUrlAsync(string providerCustomerId, string returnUrl, CancellationToken ct)
    {
        using var found = await SendAsync(HttpMethod.Get, $"/v1/customers/{Uri.EscapeDataString(providerCustomerId)}", null, ct);
        return found.RootElement.Child("data").Child("attributes").Child("urls").Text("customer_portal")
            ?? throw new PaymentProviderException(Name, 400, "no_portal", "LemonSqueezy opens its portal to customers with a subscription there; receipts of orders are mailed by LemonSqueezy.");
    }

    public Task<ChargeOutcome> ChargeAsync(OffSessionCharge charge, string idempotencyKey, CancellationToken ct) =>
        throw new PaymentProviderException(Name, 400, "no_off_session", "LemonSqueezy charges nothing off session: invoices are sent as payment links.");

    /// <summary>
    /// Refunds an order, all of what is left or an amount. LemonSqueezy records no refunds of their own, only the
    /// order's total refunded: the refund is known by the order and that total after it.
    /// </summary>
    public async Task<RefundOutcome> RefundAsync(RefundOrder refund, string idempotencyKey, CancellationToken ct)
    {
        var attributes = new JsonObject();
        if (refund.Amount is { } amount) attributes["amount"] = amount;
        var body = new JsonObject { ["data"] = new JsonObject { ["type"] = "orders", ["id"] = refund.ProviderPaymentId, ["attributes"] = attributes } };
        using var answer = await SendAsync(HttpMethod.Post, $"/v1/orders/{Uri.EscapeDataString(refund.ProviderPaymentId)}/refund", body, ct);
        var order = answer.RootElement.Child("data").Child("attributes");
        var refunded = order.Long("refunded_amount") ?? 0;
        return new RefundOutcome(LemonSqueezyEvents.RefundId(refund.ProviderPaymentId, refunded), RefundStatus.Succeeded, refund.Asked);
    }

    public SignatureCheck Verify(IHeaderDictionary headers, ReadOnlySpan<byte> body, DateTimeOffset now) =>
        BodySignature.Check(headers["X-Signature"], body, WebhookSecrets.Of(Settings.SigningSecret, Settings.PreviousSigningSecret));

    public Task<InboundEvent?> ReadAsync(IHeaderDictionary headers, byte[] body, CancellationToken ct) => Task.FromResult(LemonSqueezyEvents.Read(body));

    async Task<JsonDocument> SendAsync(HttpMethod method, string pathAndQuery, JsonObject? body, CancellationToken ct)
    {
        var baseUrl = new Uri(Settings.BaseUrl);
        using var request = new HttpRequestMessage(method, new Uri(baseUrl, baseUrl.AbsolutePath.TrimEnd('/') + pathAndQuery));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Settings.ApiKey);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(JsonApi.MediaType!));
        if (body is not null) request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body.ToJsonString())) { Headers = { ContentType = JsonApi } };
        return await http.SendAsync(request, Name, static (body, _) =>
        {
            var error = body.Items("errors").FirstOrDefault();
            return (error.Text("title"), error.Text("detail"));
        }, ct);
    }
}
