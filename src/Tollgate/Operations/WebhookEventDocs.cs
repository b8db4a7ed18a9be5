using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Tollgate.Alerts;
using Tollgate.ApiKeys;
using Tollgate.Billing.CreditNotes;
using Tollgate.Billing.Dunning;
using Tollgate.Billing.Invoices;
using Tollgate.Billing.Runs;
using Tollgate.Billing.Subscriptions;
using Tollgate.Billing.Wallets;
using Tollgate.Customers;
using Tollgate.Payments.Checkout;
using Tollgate.Payments.Ledger;
using Tollgate.Webhooks;
using Tollgate.Webhooks.Delivery;

namespace Tollgate.Operations;

/// <summary>
/// The event catalog in the OpenAPI document: each type of <see cref="EventTypes"/> as an OpenAPI 3.1 webhook (what
/// Tollgate POSTs to an endpoint), its body <c>{"type", "timestamp", "data"}</c> with <c>data</c>'s schema from the
/// type that is serialized into the outbox. This is where the catalog names the features (the Webhooks feature names
/// none). A type of the catalog without a payload here fails the document, so neither can grow without the other.
/// </summary>
public static class WebhookEventDocs
{
    /// <summary>The version of every payload: a change that is not additive comes as a new type (<c>invoice.paid.v2</c>), sent beside the old one for a while.</summary>
    public const int PayloadVersion = 1;

    public static IReadOnlyDictionary<string, (Type Data, string Summary)> Payloads { get; } = new Dictionary<string, (Type, string)>
    {
        ["customer.created"] = (typeof(Customer), "A customer was created."),
        ["customer.updated"] = (typeof(Customer), "A customer was changed: the customer as it is now."),
        ["customer.deleted"] = (typeof(CustomerDeleted), "A customer was deleted, and its keys revoked."),
        ["api_key.created"] = (typeof(ApiKeyView), "A key was created (never its secret)."),
        ["api_key.rotated"] = (typeof(ApiKeyRotated), "A key was rotated: its successor, and the old key with the time it retires."),
        ["api_key.revoked"] = (typeof(ApiKeyView), "A key was revoked."),
        ["quota.threshold_reached"] = (typeof(QuotaThresholdReached), "A customer used a threshold's share of a quota in its period."),
        ["budget.threshold_reached"] = (typeof(LimitThresholdReached), "A spend limit's threshold was reached by its subject in its window."),
        ["limit.threshold_reached"] = (typeof(LimitThresholdReached), "A request or token limit's threshold was reached by its subject in its window."),
        ["subscription.created"] = (typeof(Subscription), "A subscription was created."),
        ["subscription.updated"] = (typeof(Subscription), "A subscription changed (plan, quantity, status, a scheduled change): as it is now."),
        ["subscription.canceled"] = (typeof(Subscription), "A subscription ended."),
        ["subscription.resumed"] = (typeof(Subscription), "A paused subscription was resumed."),
        ["subscription.paused"] = (typeof(Subscription), "A subscription was paused."),
        ["subscription.trial_will_end"] = (typeof(TrialWillEnd), "A trial ends in three days."),
        ["invoice.created"] = (typeof(Invoice), "An invoice was drafted."),
        ["invoice.finalized"] = (typeof(Invoice), "An invoice was finalized: its number and amounts are fixed."),
        ["invoice.paid"] = (typeof(Invoice), "An invoice was paid in full."),
        ["invoice.voided"] = (typeof(Invoice), "An invoice was voided."),
        ["invoice.marked_uncollectible"] = (typeof(Invoice), "An invoice was marked uncollectible (dunning gave up, or the operator)."),
        ["invoice.payment_failed"] = (typeof(Invoice), "A charge for an invoice failed: the invoice with its next attempt."),
        ["invoice.payment_retry"] = (typeof(PaymentRetry), "An invoice is charged again, by the dunning schedule."),
        ["invoice.payment_link"] = (typeof(InvoiceCollector.PaymentLink), "A link where the customer pays an invoice (providers that cannot charge a saved method)."),
        ["credit_note.created"] = (typeof(CreditNote), "A credit note was issued against an invoice."),
        ["wallet.low_balance"] = (typeof(WalletLowBalance), "A credit wallet's balance fell below its threshold."),
        ["checkout_session.completed"] = (typeof(CheckoutSession), "A checkout was paid at the provider; its subscription exists."),
        ["checkout_session.paid_after_close"] = (typeof(CheckoutSession), "A checkout that had expired or was replaced was paid all the same: refund or honour it."),
        ["payment.pending"] = (typeof(Payment), "A payment was started and waits for the provider."),
        ["payment.succeeded"] = (typeof(Payment), "A payment succeeded."),
        ["payment.failed"] = (typeof(Payment), "A payment failed."),
        ["refund.pending"] = (typeof(Refund), "A refund was asked of the provider."),
        ["refund.succeeded"] = (typeof(Refund), "A refund went through."),
        ["refund.failed"] = (typeof(Refund), "A refund failed."),
        ["webhook_endpoint.disabled"] = (typeof(EndpointHealth.EndpointDisabled), "A webhook endpoint was disabled (410, or failing for days); to the operator's endpoints only."),
    };

    /// <summary>Adds every event type to <paramref name="document"/>'s <c>webhooks</c>.</summary>
    public static async Task AddAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Webhooks ??= new Dictionary<string, IOpenApiPathItem>();
        foreach (var type in EventTypes.All)
        {
            if (!Payloads.TryGetValue(type, out var payload)) throw new InvalidOperationException($"The event type '{type}' has no payload in {nameof(WebhookEventDocs)}.");
            var name = payload.Data.Name;
            if (!document.Components.Schemas.ContainsKey(name)) document.AddComponent(name, await context.GetOrCreateSchemaAsync(payload.Data, null, ct));
            document.Webhooks[type] = PathItem(document, type, payload.Summary, new OpenApiSchemaReference(name, document));
        }
    }

    static OpenApiPathItem PathItem(OpenApiDocument document, string type, string summary, IOpenApiSchema data) => new()
    {
        Operations = new Dictionary<HttpMethod, OpenApiOperation>
        {
            [HttpMethod.Post] = new()
            {
                OperationId = $"webhook:{type}",
                Summary = summary,
                Description = $"Sent to the endpoints that hear `{type}`, signed by Standard Webhooks (docs/webhooks.md). Payload version {PayloadVersion}.",
                Tags = new HashSet<OpenApiTagReference> { new("Webhook events", document) },
                Parameters =
                [
                    Header("webhook-id", "The message's id, the same on every attempt: deduplicate by it."),
                    Header("webhook-timestamp", "Unix seconds when this attempt was signed."),
                    Header("webhook-signature", "`v1,<base64 HMAC-SHA256 of id.timestamp.body>`, two during a secret's rotation, separated by a space."),
                ],
                RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/json"] = new() { Schema = Body(type, data) },
                    },
                },
                Responses = new OpenApiResponses
                {
                    ["2XX"] = new OpenApiResponse { Description = "Delivered. Answer quickly; any other status, or none within the attempt timeout, is retried. 410 disables the endpoint." },
                },
            },
        },
    };

    static OpenApiParameter Header(string name, string description) =>
        new() { Name = name, In = ParameterLocation.Header, Required = true, Description = description, Schema = new OpenApiSchema { Type = JsonSchemaType.String } };

    static OpenApiSchema Body(string type, IOpenApiSchema data) => new()
    {
        Type = JsonSchemaType.Object,
        Required = new HashSet<string> { "type", "timestamp", "data" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create(type)] },
            ["timestamp"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time", Description = "When the event happened." },
            ["data"] = data,
        },
    };
}
