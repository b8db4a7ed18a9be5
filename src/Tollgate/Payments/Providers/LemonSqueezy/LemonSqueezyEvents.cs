using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Tollgate.Payments.Providers.LemonSqueezy;

/// <summary>
/// LemonSqueezy's webhooks in Tollgate's terms. The body is a JSON:API resource with <c>meta.event_name</c> and the
/// checkout's <c>meta.custom_data</c>; it carries no event id (<c>meta.webhook_id</c> changes when a delivery is sent
/// again), so the event's id is made of what identifies its news: the event's name, the object's type, id and
/// <c>updated_at</c>, and for a refund the order's total refunded. A paid order pays the invoice in its custom data
/// (and completes the checkout, when it was one), its tax LemonSqueezy's own; a refunded order adds what it refunds.
/// </summary>
public static class LemonSqueezyEvents
{
    /// <summary>The custom-data key of an invoice's payment-link attempt.</summary>
    public const string AttemptKey = "tollgate_attempt_id";

    public static InboundEvent? Read(byte[] body)
    {
        using var document = ProviderJson.TryParse(body);
        if (document is null) return null;
        var root = document.RootElement;
        var data = root.Child("data");
        var attributes = data.Child("attributes");
        if (root.Child("meta").Text("event_name") is not { } name || data.Text("type") is not { } type || data.Text("id") is not { } id) return null;
        var identity = $"{name}|{type}|{id}|{attributes.Text("updated_at")}|{attributes.Long("refunded_amount")}";
        var eventId = "ls_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..40];
        return new InboundEvent(eventId, name, type == "orders" ? Effects(name, id, attributes, root.Child("meta").Child("custom_data")) : []);
    }

    static IReadOnlyList<PaymentEffect> Effects(string name, string order, JsonElement attributes, JsonElement custom)
    {
        var at = attributes.Time("updated_at") ?? attributes.Time("created_at") ?? DateTimeOffset.UnixEpoch;
        var currency = attributes.Text("currency") ?? "USD";
        switch (name)
        {
            case "order_created" when attributes.Text("status") is "paid" or "failed" && custom.Text(MetadataKeys.Invoice) is { } invoice:
                var paid = attributes.Text("status") == "paid";
                var payment = new PaymentReported(order, invoice, custom.Text(MetadataKeys.Customer), paid ? PaymentStatus.Succeeded : PaymentStatus.Failed,
                    attributes.Long("total") ?? 0, currency, null, paid ? null : "payment_failed", paid ? null : "LemonSqueezy: the payment failed.", at)
                {
                    Tax = attributes.Long("tax") ?? 0,
                };
                if (custom.Text(MetadataKeys.Checkout) is not { } checkout) return [payment];
                if (!paid) return []; // at a checkout, the customer tries again on the page
                var customer = attributes.Long("customer_id")?.ToString(CultureInfo.InvariantCulture);
                return [new CheckoutCompleted(order, customer, null, payment, at) { CheckoutId = checkout }];
            case "order_refunded" when attributes.Long("refunded_amount") is > 0 and var refunded:
                return [new RefundReported(RefundId(order, refunded), order, null, RefundStatus.Succeeded, refunded, currency, at) { Cumulative = true }];
            default:
                return [];
        }
    }

    /// <summary>A refund of an order, known by the order and its total refunded after it (LemonSqueezy gives refunds no id).</summary>
    public static string RefundId(string order, long refundedAfter) => $"{order}:{refundedAfter.ToString(CultureInfo.InvariantCulture)}";
}
