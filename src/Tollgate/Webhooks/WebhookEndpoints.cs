using Microsoft.AspNetCore.Mvc;
using Tollgate.ApiKeys;
using Tollgate.Common;
using Tollgate.Webhooks.Delivery;
using Tollgate.Webhooks.Endpoints;

namespace Tollgate.Webhooks;

public static class WebhookEndpoints
{
    public static RouteGroupBuilder MapWebhookEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/webhook-event-types", () => TypedResults.Ok(new { data = EventTypes.All }))
            .WithTags("Webhooks").RequireAnyKey().WithSummary("Every event type webhook endpoints can subscribe to (docs/webhooks.md describes their payloads).");

        var endpoints = api.MapGroup("/webhook-endpoints").WithTags("Webhooks").RequireScope(Scopes.WebhooksWrite);
        endpoints.MapPost("/", async (Caller caller, WebhookEndpointService service, CreateWebhookEndpointRequest request, CancellationToken ct) =>
                (await service.CreateAsync(caller, request, ct)).ToCreated(e => $"/api/v1/webhook-endpoints/{e.Id}"))
            .WithSummary("Register an endpoint for events by type (wildcards: invoice.*); its signing secret is in this answer only. A customer key's endpoint hears its own customer's events.");
        endpoints.MapGet("/", async (Caller caller, WebhookEndpointService service, [FromQuery(Name = "customer_id")] string? customerId, int? limit, string? cursor, CancellationToken ct) =>
                (await service.ListAsync(caller, customerId, new PageRequest(limit, cursor), ct)).ToOk())
            .WithSummary("Endpoints, newest first: all for an admin key, its customer's own for a customer key.");
        endpoints.MapGet("/{id}", async (Caller caller, WebhookEndpointService service, string id, CancellationToken ct) => (await service.GetAsync(caller, id, ct)).ToOk())
            .WithSummary("An endpoint (never its secret).");
        endpoints.MapPatch("/{id}", async (Caller caller, WebhookEndpointService service, string id, UpdateWebhookEndpointRequest request, CancellationToken ct) =>
                (await service.UpdateAsync(caller, id, request, ct)).ToOk())
            .WithSummary("Change an endpoint's URL, event filters or description; absent fields stay.");
        endpoints.MapPost("/{id}/disable", async (Caller caller, WebhookEndpointService service, string id, CancellationToken ct) =>
                (await service.DisableAsync(caller, id, ct)).ToOk())
            .WithSummary("Stop sending to an endpoint; what still waited for it is dropped (replay it after enabling).");
        endpoints.MapPost("/{id}/enable", async (Caller caller, WebhookEndpointService service, string id, CancellationToken ct) =>
                (await service.EnableAsync(caller, id, ct)).ToOk())
            .WithSummary("Send to an endpoint again, its failing streak forgotten.");
        endpoints.MapDelete("/{id}", async (Caller caller, WebhookEndpointService service, string id, CancellationToken ct) =>
                (await service.DeleteAsync(caller, id, ct)).ToOk())
            .WithSummary("Delete an endpoint: no longer listed nor sent to.");
        endpoints.MapPost("/{id}/rotate-secret", async (Caller caller, WebhookEndpointService service, string id, CancellationToken ct) =>
                (await service.RotateSecretAsync(caller, id, ct)).ToOk())
            .WithSummary("A new signing secret, in this answer only; the old one keeps signing beside it for Webhooks:RotationOverlap (24 h).");
        endpoints.MapGet("/{id}/attempts", async (Caller caller, DeliveryHistory history, string id, int? limit, string? cursor, CancellationToken ct) =>
                (await history.AttemptsAsync(caller, id, new PageRequest(limit, cursor), ct)).ToOk())
            .WithSummary("Every attempt to an endpoint, newest first: status code, latency, the first kilobyte of the answer, or the error.");
        endpoints.MapPost("/{id}/replay", async (Caller caller, DeliveryHistory history, string id, ReplayRequest request, CancellationToken ct) =>
                (await history.ReplayAsync(caller, id, request, ct)).ToOk())
            .WithSummary("Send again one message (message_id) or every message the endpoint hears since a time (since), each with its retries afresh.");
        return api;
    }
}
