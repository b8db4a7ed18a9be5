using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Tollgate.Payments.Webhooks;

namespace Tollgate.Payments.Providers.Test;

/// <summary>
/// The built-in test provider (docs/payments.md, "The test provider"): Tollgate's own pages stand in for a provider's
/// hosted checkout and portal (<see cref="TestProviderEndpoints"/>), so <c>serve --demo</c> takes a customer from a
/// checkout to a paid invoice offline. It moves no money. What a page does reaches Tollgate as the provider's webhook
/// would, signed and through <see cref="WebhookReceiver"/>, so it is recorded and applied exactly as a real provider's.
/// Its ids are made from the idempotency keys, so a call made twice is one; its signing secret lives as long as the
/// process, so links and events of one run mean nothing to the next.
/// </summary>
public sealed class TestProvider(IOptions<PaymentsOptions> options, IServer server, TimeProvider time) : IPaymentProvider
{
    public const string SignatureHeader = "Tollgate-Test-Signature";
    public const string CustomerPrefix = "tcus_";

    /// <summary>How long a portal link stays good.</summary>
    public static readonly TimeSpan PortalLifetime = TimeSpan.FromHours(1);

    readonly string _secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));

    public PaymentProviderName Name => PaymentProviderName.Test;

    public bool ChargesOffSession => true;

    public Task<string> CreateCustomerAsync(ProviderCustomer customer, string idempotencyKey, CancellationToken ct) =>
        Task.FromResult(CustomerPrefix + customer.CustomerId);

    public Task<HostedCheckout> CreateCheckoutAsync(CheckoutOrder order, string idempotencyKey, CancellationToken ct) =>
        order.Notify
            ? throw new PaymentProviderException(Name, 400, "no_links", "The test provider charges saved cards; it sends no payment links.")
            : Task.FromResult(new HostedCheckout(order.CheckoutId, $"{PublicUrl()}/pay/test/{Uri.EscapeDataString(order.CheckoutId)}", order.ExpiresAt));

    public Task<string> PortalUrlAsync(string providerCustomerId, string returnUrl, CancellationToken ct)
    {
        var expires = (time.GetUtcNow() + PortalLifetime).ToUnixTimeSeconds();
        var query = $"expires={expires}&return_url={Uri.EscapeDataString(returnUrl)}&token={PortalToken(providerCustomerId, expires, returnUrl)}";
        return Task.FromResult($"{PublicUrl()}/pay/test/portal/{Uri.EscapeDataString(providerCustomerId)}?{query}");
    }

    /// <summary>Whether a portal link is one this process made, for this customer, and still good.</summary>
    public bool PortalLinkValid(string providerCustomerId, long expires, string returnUrl, string? token) =>
        token is not null && expires >= time.GetUtcNow().ToUnixTimeSeconds()
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(PortalToken(providerCustomerId, expires, returnUrl)), Encoding.ASCII.GetBytes(token));

    public Task<ChargeOutcome> ChargeAsync(OffSessionCharge charge, string idempotencyKey, CancellationToken ct)
    {
        var id = "tpay_" + Derived(idempotencyKey);
        return Task.FromResult(TestCards.Find(charge.PaymentMethod) is { } card && TestCards.Charges(card, charge.Amount)
            ? new ChargeOutcome(id, PaymentStatus.Succeeded, null, null)
            : new ChargeOutcome(id, PaymentStatus.Failed, TestCards.DeclineCode, TestCards.DeclineMessage));
    }

    public Task<RefundOutcome> RefundAsync(RefundOrder refund, string idempotencyKey, CancellationToken ct) =>
        Task.FromResult(new RefundOutcome("tre_" + Derived(idempotencyKey), RefundStatus.Succeeded, refund.Asked));

    public SignatureCheck Verify(IHeaderDictionary headers, ReadOnlySpan<byte> body, DateTimeOffset now) =>
        BodySignature.Check(headers[SignatureHeader], body, [_secret]);

    /// <summary>
    /// An event of the test provider: <c>{"id", "type", "created", "data"}</c>, of type <c>checkout.completed</c>
    /// (<c>data</c>: <c>session</c>, <c>customer</c>, <c>payment_method</c>, and <c>payment</c> when it charged) or
    /// <c>payment_method.updated</c> (<c>customer</c>, <c>payment_method</c>).
    /// </summary>
    public Task<InboundEvent?> ReadAsync(IHeaderDictionary headers, byte[] body, CancellationToken ct)
    {
        using var document = ProviderJson.TryParse(body);
        if (document is null) return Task.FromResult<InboundEvent?>(null);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || root.Text("id") is not { } id || root.Text("type") is not { } type
            || root.Child("data") is not { ValueKind: JsonValueKind.Object } data || root.UnixTime("created") is not { } at)
        {
            return Task.FromResult<InboundEvent?>(null);
        }

        PaymentEffect? effect = type switch
        {
            "checkout.completed" when data.Text("session") is { } session => new CheckoutCompleted(
                session, data.Text("customer"), data.Text("payment_method"), data.Child("payment") is { ValueKind: JsonValueKind.Object } p ? Payment(p, at) : null, at),
            "payment_method.updated" when data.Text("customer") is { } customer && data.Text("payment_method") is { } method =>
                new PaymentMethodUpdated(customer, method, at),
            _ => null,
        };
        return Task.FromResult<InboundEvent?>(new InboundEvent(id, type, effect is null ? [] : [effect]));
    }

    static PaymentReported? Payment(JsonElement p, DateTimeOffset at) =>
        p.Text("id") is { } id && p.Long("amount") is { } amount && p.Text("currency") is { } currency
            ? new PaymentReported(id, p.Text("invoice_id"), p.Text("customer_id"), p.Text("status") == "succeeded" ? PaymentStatus.Succeeded : PaymentStatus.Failed,
                amount, currency, p.Text("payment_method"), p.Text("failure_code"), p.Text("failure_message"), at)
            : null;

    /// <summary>An event as this provider sends it, with the header that signs it: what its pages hand to <see cref="WebhookReceiver"/>.</summary>
    public (byte[] Body, IHeaderDictionary Headers) Event(string id, string type, JsonObject data)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new JsonObject
        {
            ["id"] = id, ["type"] = type, ["created"] = time.GetUtcNow().ToUnixTimeSeconds(), ["data"] = data,
        });
        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(_secret), body));
        return (body, new HeaderDictionary { [SignatureHeader] = signature });
    }

    /// <summary>An id of this provider's made from what names it (an idempotency key, a checkout), so the same thing is the same id.</summary>
    public static string Derived(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..24];

    string PortalToken(string providerCustomerId, long expires, string returnUrl) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(_secret), Encoding.UTF8.GetBytes($"portal:{providerCustomerId}:{expires}:{returnUrl}")));

    /// <summary>
    /// Where browsers reach this server: <c>Payments:PublicUrl</c>, or else the first address it listens on, a
    /// wildcard host (<c>0.0.0.0</c>, <c>[::]</c>, <c>+</c>, <c>*</c>) written as <c>localhost</c>.
    /// </summary>
    string PublicUrl()
    {
        if (options.Value.PublicUrl is { Length: > 0 } configured) return configured.TrimEnd('/');
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? TollgateApp.DefaultUrl;
        var uri = new UriBuilder(address.Replace("://+", "://localhost").Replace("://*", "://localhost"));
        if (uri.Host is "0.0.0.0" or "[::]" or "::") uri.Host = "localhost";
        return uri.Uri.GetLeftPart(UriPartial.Authority);
    }
}
