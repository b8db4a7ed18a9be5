namespace Tollgate.Webhooks;

/// <summary>
/// The event catalog: every type Tollgate writes to the outbox, which webhook endpoints subscribe to by name or by
/// pattern (<c>invoice.*</c>, <c>*</c>). docs/webhooks.md describes each one's payload.
/// </summary>
public static class EventTypes
{
    public static IReadOnlyList<string> All { get; } =
    [
        "customer.created", "customer.updated", "customer.deleted",
        "api_key.created", "api_key.rotated", "api_key.revoked",
        "quota.threshold_reached", "budget.threshold_reached", "limit.threshold_reached",
        "subscription.created", "subscription.updated", "subscription.canceled", "subscription.resumed", "subscription.paused",
        "subscription.trial_will_end",
        "invoice.created", "invoice.finalized", "invoice.paid", "invoice.voided", "invoice.marked_uncollectible",
        "invoice.payment_failed", "invoice.payment_retry", "invoice.payment_link",
        "credit_note.created", "wallet.low_balance",
        "checkout_session.completed", "checkout_session.paid_after_close",
        "payment.pending", "payment.succeeded", "payment.failed",
        "refund.pending", "refund.succeeded", "refund.failed",
        "webhook_endpoint.disabled",
    ];

    /// <summary>Whether <paramref name="type"/> is what <paramref name="pattern"/> names: itself, <c>prefix.*</c> for a family, or <c>*</c>.</summary>
    public static bool Matches(string pattern, string type) =>
        pattern == "*" || pattern == type
        || (pattern.EndsWith(".*", StringComparison.Ordinal) && type.StartsWith(pattern[..^1], StringComparison.Ordinal));

    /// <summary>Why <paramref name="pattern"/> is not a filter, or null when it names at least one event type.</summary>
    public static string? Problem(string pattern) =>
        string.IsNullOrWhiteSpace(pattern) ? "an event filter cannot be empty."
        : All.Any(t => Matches(pattern, t)) ? null
        : $"'{pattern}' matches no event type; see GET /api/v1/webhook-event-types.";
}
