using System.Text.Json;
using Tollgate.Payments.Ledger;

namespace Tollgate.Payments.Providers.Paddle;

/// <summary>
/// Paddle's notifications in Tollgate's terms. The envelope is <c>{"event_id", "event_type", "occurred_at", "data"}</c>
/// with the whole entity in <c>data</c>, its <c>updated_at</c> the time that orders news of it. A transaction pays
/// when it is <c>completed</c> (only then does it carry the subscription a checkout made); its amount is the grand
/// total, Paddle's tax in it. Transactions of the billing agreement alone (its renewals at 0) change nothing.
/// </summary>
public static class PaddleEvents
{
    public static InboundEvent? Read(byte[] body)
    {
        using var document = ProviderJson.TryParse(body);
        if (document is null) return null;
        var root = document.RootElement;
        var data = root.Child("data");
        if (root.Text("event_id") is not { } id || root.Text("event_type") is not { } type || data.ValueKind != JsonValueKind.Object) return null;
        return new InboundEvent(id, type, Effects(type, data));
    }

    static IReadOnlyList<PaymentEffect> Effects(string type, JsonElement data)
    {
        // Paddle copies a subscription's custom data (the checkout's) onto the transactions charged on it: only the
        // checkout's own transaction, made through the API and paid on its page, completes the checkout.
        var checkout = data.Text("origin")?.StartsWith("subscription", StringComparison.Ordinal) == true ? null : data.Child("custom_data").Text(MetadataKeys.Checkout);
        switch (type)
        {
            case "transaction.completed" when data.Text("id") is { } transaction:
                var paid = Payment(data, PaymentStatus.Succeeded);
                if (checkout is not null)
                {
                    var subscription = data.Text("subscription_id");
                    return [new CheckoutCompleted(transaction, data.Text("customer_id"), subscription, paid?.InvoiceId is null ? null : paid, At(data))
                        { ProviderSubscriptionId = subscription }];
                }

                return paid?.InvoiceId is null ? [] : [paid];
            case "transaction.payment_failed" or "transaction.past_due" when checkout is null:
                // At a checkout the customer tries again on the page; an invoice's charge failing is its failed payment.
                return Payment(data, PaymentStatus.Failed) is { InvoiceId: not null } failed ? [failed with { Status = PaymentStatus.Failed }] : [];
            case "adjustment.created" or "adjustment.updated" when data.Text("action") == "refund" && data.Text("id") is { } adjustment && data.Text("transaction_id") is { } paidBy:
                return [new RefundReported(adjustment, paidBy, RefundIdOf(data), RefundState(data.Text("status")), data.Child("totals").MinorUnits("total") ?? 0,
                    data.Text("currency_code") ?? "USD", At(data))];
            case "subscription.created" or "subscription.canceled" or "subscription.paused" or "subscription.resumed" or "subscription.activated" or "subscription.updated"
                when data.Text("id") is { } subscription && State(data.Text("status")) is { } state:
                return [new ProviderSubscriptionChanged(subscription, state, At(data))];
            default:
                return [];
        }
    }

    /// <summary>
    /// A transaction as a payment: the Tollgate invoice and customer from its own custom data or its items', its grand
    /// total and tax, and the subscription it was charged on as the payment method. Null when it is none of Tollgate's.
    /// </summary>
    public static PaymentReported? Payment(JsonElement transaction, PaymentStatus otherwise)
    {
        if (transaction.Text("id") is not { } id) return null;
        var custom = transaction.Child("custom_data");
        var prices = transaction.Items("items").Select(i => i.Child("price").Child("custom_data")).ToList();
        // A transaction of the subscription (a charge, the agreement's renewal at 0) carries, copied from it, the
        // checkout's first invoice: only its items say which invoice it pays. The checkout's own names it itself.
        var ofSubscription = transaction.Text("origin")?.StartsWith("subscription", StringComparison.Ordinal) == true;
        var invoice = prices.Select(c => c.Text(MetadataKeys.Invoice)).FirstOrDefault(i => i is not null) ?? (ofSubscription ? null : custom.Text(MetadataKeys.Invoice));
        var customer = custom.Text(MetadataKeys.Customer) ?? prices.Select(c => c.Text(MetadataKeys.Customer)).FirstOrDefault(c => c is not null);
        var attempt = transaction.Items("payments").OrderBy(p => p.Time("created_at")).LastOrDefault();
        var status = transaction.Text("status") switch
        {
            "completed" or "paid" => PaymentStatus.Succeeded,
            "past_due" => PaymentStatus.Failed,
            _ when attempt.Text("status") == "error" => PaymentStatus.Failed,
            _ => otherwise,
        };
        var totals = transaction.Child("details").Child("totals");
        var failure = status == PaymentStatus.Failed ? attempt.Text("error_code") ?? "declined" : null;
        return new PaymentReported(id, invoice, customer, status, totals.MinorUnits("grand_total") ?? totals.MinorUnits("total") ?? 0,
            transaction.Text("currency_code") ?? totals.Text("currency_code") ?? "USD", transaction.Text("subscription_id"), failure,
            failure is null ? null : $"Paddle: the payment failed ({failure}).", At(transaction))
        {
            Tax = totals.MinorUnits("tax") ?? 0,
        };
    }

    /// <summary>The Tollgate refund an adjustment was made for: Tollgate writes its id first in the reason.</summary>
    public static string? RefundIdOf(JsonElement adjustment) =>
        adjustment.Text("reason") is { } reason && reason.StartsWith(PaymentStore.RefundPrefix + "_", StringComparison.Ordinal) && reason.IndexOf(':') is > 0 and var end
            ? reason[..end]
            : null;

    public static RefundStatus RefundState(string? status) => status switch
    {
        "approved" => RefundStatus.Succeeded,
        "rejected" or "reversed" => RefundStatus.Failed,
        _ => RefundStatus.Pending,
    };

    static ProviderSubscriptionState? State(string? status) => status switch
    {
        "active" or "trialing" => ProviderSubscriptionState.Active,
        "paused" => ProviderSubscriptionState.Paused,
        "canceled" => ProviderSubscriptionState.Canceled,
        _ => null, // past_due: Paddle's own dunning, of charges Tollgate's dunning follows already
    };

    /// <summary>The entity's own time (a refund just made carries a zero <c>updated_at</c>: its creation then).</summary>
    static DateTimeOffset At(JsonElement entity) => entity.Time("updated_at") ?? entity.Time("created_at") ?? DateTimeOffset.UnixEpoch;
}
