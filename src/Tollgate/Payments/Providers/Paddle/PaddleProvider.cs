using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tollgate.Payments.Webhooks;

namespace Tollgate.Payments.Providers.Paddle;

/// <summary>
/// Paddle Billing, as merchant of record: Paddle sells to the customer, charges its own tax on top, and collects.
/// Tollgate stays the billing engine: a checkout is a Paddle transaction holding the first invoice as a one-time item
/// and a recurring item of price 0, the <em>billing agreement</em>, so that completing it makes a Paddle subscription
/// with the customer's saved payment method. That subscription is kept in step with the Tollgate one (ended when it
/// ends, its cancellation at Paddle followed) and every later invoice is charged on it as a one-time charge, off
/// session. Paddle takes no idempotency keys, so each call that makes something first looks for what an earlier try
/// made (a transaction or adjustment carrying the same key). JSON with a bearer key and <c>Paddle-Version: 1</c>.
/// Wire formats: docs/payments.md, "Paddle".
/// </summary>
public sealed class PaddleProvider(PaymentsHttp http, Credentials.PaymentSettings settings) : IPaymentProvider
{
    /// <summary>The custom-data key of the Tollgate charge (invoice and attempt) a one-time charge was made for.</summary>
    public const string ChargeKey = "tollgate_charge";

    PaddleOptions Settings => settings.Current.Paddle;

    public PaymentProviderName Name => PaymentProviderName.Paddle;

    public bool ChargesOffSession => true;

    public async Task<string> CreateCustomerAsync(ProviderCustomer customer, string idempotencyKey, CancellationToken ct)
    {
        if (customer.Email is not { } email)
            throw new PaymentProviderException(Name, 400, "email_required", $"Paddle makes no customer without an email: set customer {customer.CustomerId}'s email first.");
        var body = new JsonObject { ["email"] = email, ["name"] = customer.Name, ["custom_data"] = new JsonObject { [MetadataKeys.Customer] = customer.CustomerId } };
        try
        {
            using var made = await SendAsync(HttpMethod.Post, "/customers", body, ct);
            return made.RootElement.Child("data").Text("id")!;
        }
        catch (PaymentProviderException e) when (e.Code == "customer_already_exists")
        {
            // Made before, by a try that timed out after Paddle made it: that one. A customer of that email made for
            // another Tollgate customer (or outside Tollgate) is not this one's to take.
            using var found = await SendAsync(HttpMethod.Get, $"/customers?email={Uri.EscapeDataString(email)}", null, ct);
            var existing = found.RootElement.Items("data").FirstOrDefault();
            if (existing.Child("custom_data").Text(MetadataKeys.Customer) == customer.CustomerId && existing.Text("id") is { } id) return id;
            throw new PaymentProviderException(Name, 409, "email_taken", $"Paddle has a customer of email {email} already, not made for customer {customer.CustomerId}: give it another email.");
        }
    }

    public async Task<HostedCheckout> CreateCheckoutAsync(CheckoutOrder order, string idempotencyKey, CancellationToken ct)
    {
        if (order.ProviderCustomerId is not { } customer)
            throw new PaymentProviderException(Name, 400, "customer_required", "A Paddle checkout is made for a Paddle customer.");
        if (await FindTransactionAsync($"customer_id={customer}&status=draft,ready", t => t.Child("custom_data").Text(MetadataKeys.Checkout) == order.CheckoutId, ct) is { } made)
            return Hosted(made, order);

        JsonArray items = [Item(Agreement(order))];
        if (order.Amount > 0) items.Add(Item(OneTime(order.Description, order.Amount, order.Currency, order.InvoiceId, order.CustomerId, null)));
        var custom = new JsonObject { [MetadataKeys.Checkout] = order.CheckoutId, [MetadataKeys.Customer] = order.CustomerId };
        if (order.InvoiceId is { } invoice) custom[MetadataKeys.Invoice] = invoice;
        var body = new JsonObject
        {
            ["customer_id"] = customer, ["currency_code"] = order.Currency, ["collection_mode"] = "automatic", ["custom_data"] = custom, ["items"] = items,
        };
        using var answer = await SendAsync(HttpMethod.Post, "/transactions", body, ct);
        return Hosted(answer.RootElement.Child("data"), order);
    }

    static HostedCheckout Hosted(JsonElement transaction, CheckoutOrder order) =>
        new(transaction.Text("id")!, transaction.Child("checkout").Text("url")
            ?? throw new PaymentProviderException(PaymentProviderName.Paddle, 400, "no_checkout_url", "Paddle made the transaction without a checkout URL: set a default payment link."), order.ExpiresAt);

    /// <summary>The billing agreement: a recurring price of 0, so that Paddle keeps a subscription (and the payment method) to charge invoices on.</summary>
    static JsonObject Agreement(CheckoutOrder order) => new()
    {
        ["description"] = $"Billing agreement: {order.Description}",
        ["name"] = "Billing agreement",
        ["unit_price"] = Money(0, order.Currency),
        ["billing_cycle"] = new JsonObject { ["interval"] = "month", ["frequency"] = 1 },
        ["product"] = new JsonObject { ["name"] = order.Description, ["tax_category"] = "saas" },
        ["custom_data"] = new JsonObject { [MetadataKeys.Customer] = order.CustomerId },
    };

    /// <summary>A one-time, non-catalog price for an invoice (or the first invoice of a checkout), its Tollgate ids in its custom data.</summary>
    static JsonObject OneTime(string description, long amount, string currency, string? invoiceId, string customerId, string? chargeKey)
    {
        var custom = new JsonObject { [MetadataKeys.Customer] = customerId };
        if (invoiceId is not null) custom[MetadataKeys.Invoice] = invoiceId;
        if (chargeKey is not null) custom[ChargeKey] = chargeKey;
        return new JsonObject
        {
            ["description"] = description, ["name"] = invoiceId is null ? description : $"Invoice {invoiceId}", ["unit_price"] = Money(amount, currency),
            ["product"] = new JsonObject { ["name"] = description, ["tax_category"] = "saas" }, ["custom_data"] = custom,
        };
    }

    static JsonObject Item(JsonObject price) => new() { ["quantity"] = 1, ["price"] = price };

    static JsonObject Money(long amount, string currency) =>
        new() { ["amount"] = amount.ToString(CultureInfo.InvariantCulture), ["currency_code"] = currency.ToUpperInvariant() };

    public async Task<string> PortalUrlAsync(string providerCustomerId, string returnUrl, CancellationToken ct)
    {
        using var answer = await SendAsync(HttpMethod.Post, $"/customers/{Uri.EscapeDataString(providerCustomerId)}/portal-sessions", new JsonObject { ["subscription_ids"] = new JsonArray() }, ct);
        return answer.RootElement.Child("data").Child("urls").Child("general").Text("overview")!;
    }

    /// <summary>
    /// Charges an invoice on the customer's Paddle subscription (its saved payment method is the subscription's id),
    /// now: Paddle collects at once, adding its tax, or answers that the payment was declined and makes nothing.
    /// </summary>
    public async Task<ChargeOutcome> ChargeAsync(OffSessionCharge charge, string idempotencyKey, CancellationToken ct)
    {
        var subscription = Uri.EscapeDataString(charge.PaymentMethod);
        var query = $"subscription_id={subscription}&origin=subscription_charge&order_by=created_at[DESC]";
        if (await FindTransactionAsync(query, t => ChargedFor(t) == idempotencyKey, ct) is { } before) return Outcome(before);

        var body = new JsonObject
        {
            ["effective_from"] = "immediately",
            ["on_payment_failure"] = "prevent_change",
            ["items"] = new JsonArray(Item(OneTime($"Invoice {charge.InvoiceId}", charge.Amount, charge.Currency, charge.InvoiceId, charge.CustomerId, idempotencyKey))),
        };
        try
        {
            using var _ = await SendAsync(HttpMethod.Post, $"/subscriptions/{subscription}/charge", body, ct);
        }
        catch (PaymentProviderException e) when (e.Code is "subscription_payment_declined" or "subscription_not_active" or "subscription_update_when_past_due" or "subscription_locked_renewal")
        {
            // Nothing was made at Paddle: the attempt's failed payment is recorded under its own key.
            return new ChargeOutcome(idempotencyKey, PaymentStatus.Failed, e.Code == "subscription_payment_declined" ? "card_declined" : e.Code, e.Message);
        }

        // The charge answers with the subscription; the transaction it made is found by its key (its webhook follows).
        return await FindTransactionAsync(query, t => ChargedFor(t) == idempotencyKey, ct) is { } made
            ? Outcome(made)
            : new ChargeOutcome(null, PaymentStatus.Pending, null, null);
    }

    static string? ChargedFor(JsonElement transaction) =>
        transaction.Items("items").Select(i => i.Child("price").Child("custom_data").Text(ChargeKey)).FirstOrDefault(k => k is not null);

    static ChargeOutcome Outcome(JsonElement transaction)
    {
        var news = PaddleEvents.Payment(transaction, PaymentStatus.Pending);
        return new ChargeOutcome(transaction.Text("id"), news?.Status ?? PaymentStatus.Pending, news?.FailureCode, news?.FailureMessage)
        {
            Amount = news?.Amount, Tax = news?.Tax ?? 0,
        };
    }

    /// <summary>
    /// Refunds a payment (a Paddle transaction) with an adjustment: all of it, or an amount spread over its line items in
    /// order. Paddle reviews refunds, so the answer is pending until its <c>adjustment.updated</c> says approved.
    /// </summary>
    public async Task<RefundOutcome> RefundAsync(RefundOrder refund, string idempotencyKey, CancellationToken ct)
    {
        var transaction = Uri.EscapeDataString(refund.ProviderPaymentId);
        var reason = $"{refund.RefundId}: {refund.Reason ?? "requested by the merchant"}";
        using (var listed = await SendAsync(HttpMethod.Get, $"/adjustments?transaction_id={transaction}&action=refund", null, ct))
        {
            if (listed.RootElement.Items("data").FirstOrDefault(a => PaddleEvents.RefundIdOf(a) == refund.RefundId) is { ValueKind: JsonValueKind.Object } before)
                return RefundOf(before);
        }

        var body = new JsonObject { ["action"] = "refund", ["transaction_id"] = refund.ProviderPaymentId, ["reason"] = reason };
        if (refund.Amount is not { } amount) body["type"] = "full";
        else
        {
            body["type"] = "partial";
            body["items"] = await SpreadAsync(transaction, amount, ct);
        }

        using var answer = await SendAsync(HttpMethod.Post, "/adjustments", body, ct);
        return RefundOf(answer.RootElement.Child("data"));
    }

    static RefundOutcome RefundOf(JsonElement adjustment) =>
        new(adjustment.Text("id")!, PaddleEvents.RefundState(adjustment.Text("status")), adjustment.Child("totals").MinorUnits("total") ?? 0);

    /// <summary>A partial refund as Paddle takes it: amounts per line item, each at most what the item came to, in the transaction's order.</summary>
    async Task<JsonArray> SpreadAsync(string transaction, long amount, CancellationToken ct)
    {
        using var found = await SendAsync(HttpMethod.Get, $"/transactions/{transaction}", null, ct);
        var items = new JsonArray();
        var left = amount;
        foreach (var line in found.RootElement.Child("data").Child("details").Items("line_items"))
        {
            var total = line.Child("totals").MinorUnits("total") ?? 0;
            if (left == 0 || total == 0) continue;
            var part = Math.Min(left, total);
            items.Add(new JsonObject { ["item_id"] = line.Text("id"), ["type"] = "partial", ["amount"] = part.ToString(CultureInfo.InvariantCulture) });
            left -= part;
        }

        if (left > 0) throw new PaymentProviderException(Name, 400, "refund_exceeds_payment", $"Paddle transaction {transaction} has less than {amount} to refund.");
        return items;
    }

    public Task CancelSubscriptionAsync(string providerSubscriptionId, CancellationToken ct) => MoveSubscriptionAsync(providerSubscriptionId, "cancel", "canceled", ct);

    public Task PauseSubscriptionAsync(string providerSubscriptionId, bool pause, CancellationToken ct) =>
        MoveSubscriptionAsync(providerSubscriptionId, pause ? "pause" : "resume", pause ? "paused" : "active", ct);

    /// <summary>Asks Paddle to <paramref name="action"/> the subscription at once; refused because it is so already (at Paddle, or by an earlier try), done.</summary>
    async Task MoveSubscriptionAsync(string providerSubscriptionId, string action, string status, CancellationToken ct)
    {
        var subscription = Uri.EscapeDataString(providerSubscriptionId);
        try
        {
            using var _ = await SendAsync(HttpMethod.Post, $"/subscriptions/{subscription}/{action}", new JsonObject { ["effective_from"] = "immediately" }, ct);
        }
        catch (PaymentProviderException e) when (e.Status == 400)
        {
            using var current = await SendAsync(HttpMethod.Get, $"/subscriptions/{subscription}", null, ct);
            if (current.RootElement.Child("data").Text("status") != status) throw;
        }
    }

    /// <summary>Cancels the checkout's transaction (Paddle lets a draft or ready one be canceled), so that its page takes no payment; one paid meanwhile stays paid.</summary>
    public async Task CloseCheckoutAsync(string providerSessionId, CancellationToken ct)
    {
        try
        {
            using var _ = await SendAsync(HttpMethod.Patch, $"/transactions/{Uri.EscapeDataString(providerSessionId)}", new JsonObject { ["status"] = "canceled" }, ct);
        }
        catch (PaymentProviderException e) when (e.Status == 400)
        {
            // Not draft or ready any more: paid (its notification completes or reports it) or canceled already.
        }
    }

    public SignatureCheck Verify(IHeaderDictionary headers, ReadOnlySpan<byte> body, DateTimeOffset now) =>
        PaddleSignature.Check(headers["Paddle-Signature"], body, WebhookSecrets.Of(Settings.WebhookSecret, Settings.PreviousWebhookSecret), now, settings.Current.SignatureTolerance);

    public Task<InboundEvent?> ReadAsync(IHeaderDictionary headers, byte[] body, CancellationToken ct) => Task.FromResult(PaddleEvents.Read(body));

    /// <summary>The first transaction of a listing that <paramref name="matches"/>, or none.</summary>
    async Task<JsonElement?> FindTransactionAsync(string query, Func<JsonElement, bool> matches, CancellationToken ct)
    {
        using var listed = await SendAsync(HttpMethod.Get, $"/transactions?{query}", null, ct);
        return listed.RootElement.Items("data").Where(matches).Select(t => (JsonElement?)t.Clone()).FirstOrDefault();
    }

    /// <summary>
    /// The API's base: the configured one, except that the public default is Paddle's sandbox for a sandbox key
    /// (<c>pdl_sdbx_…</c>): a test key reaches Paddle's test environment without more configuration.
    /// </summary>
    public static Uri BaseUrl(PaddleOptions options) =>
        new(options.BaseUrl == PaddleOptions.LiveUrl && options.ApiKey?.StartsWith(PaddleOptions.SandboxKeyPrefix, StringComparison.Ordinal) == true
            ? PaddleOptions.SandboxUrl
            : options.BaseUrl);

    async Task<JsonDocument> SendAsync(HttpMethod method, string pathAndQuery, JsonObject? body, CancellationToken ct)
    {
        var options = Settings;
        var baseUrl = BaseUrl(options);
        using var request = new HttpRequestMessage(method, new Uri(baseUrl, baseUrl.AbsolutePath.TrimEnd('/') + pathAndQuery));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        request.Headers.Add("Paddle-Version", "1");
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        return await http.SendAsync(request, Name, static (body, _) => (body.Child("error").Text("code"), body.Child("error").Text("detail")), ct);
    }
}
