using Microsoft.Extensions.Options;
using Tollgate.ApiKeys;
using Tollgate.Audit;
using Tollgate.Common;
using Tollgate.Outbound;
using Tollgate.Secrets;
using Tollgate.Storage;

namespace Tollgate.Webhooks.Endpoints;

/// <summary>
/// Registers, changes and retires webhook endpoints. The operator's admin keys manage every endpoint; a customer key
/// with <c>webhooks:write</c> manages its own customer's, which hear only that customer's events. Each change is
/// audited; a secret is sealed at rest (<see cref="SecretBox"/>) and shown only in the answer that made it.
/// </summary>
public sealed class WebhookEndpointService(Database database, WebhookEndpointStore store, SecretBox secrets, AuditLog audit, IOptions<WebhookOptions> options, TimeProvider time)
{
    const int MostEvents = 100;

    /// <summary>Endpoints the operator, and each customer, may have: every fan-out matches each event against all of them.</summary>
    public const int MostEndpoints = 50;
    const int MostDescriptionLength = 500;

    public static string SecretContext(string endpointId) => $"webhook_endpoint:{endpointId}";

    public async Task<Result<WebhookEndpointWithSecret>> CreateAsync(Caller caller, CreateWebhookEndpointRequest request, CancellationToken ct)
    {
        var owner = caller.IsAdmin ? request.CustomerId : caller.Key.CustomerId;
        if (!caller.IsAdmin && request.CustomerId is not null && request.CustomerId != caller.Key.CustomerId) return ApiError.NotFound("customer", request.CustomerId);
        var mode = caller.Key.Mode == KeyMode.Test ? "test" : "live";
        if (Problems(request.Url, request.Events, request.Description, mode, required: true) is { } invalid) return invalid;
        var now = time.GetUtcNow();
        var id = Ids.New(IdPrefix, time);
        var secret = StandardWebhooks.NewSecret();
        var endpoint = new WebhookEndpoint
        {
            Id = id, CustomerId = owner, Url = request.Url!, Description = request.Description, Events = request.Events is { Count: > 0 } events ? [.. events.Distinct()] : ["*"],
            Mode = mode, Status = "enabled", SecretSealed = secrets.Seal(secret, SecretContext(id)), CreatedAt = now, UpdatedAt = now,
        };
        return await database.InTransactionAsync<WebhookEndpointWithSecret>(async (_, tx) =>
        {
            if (owner is not null && !await Customers.CustomerStore.ExistsInAsync(tx, owner)) return ApiError.NotFound("customer", owner);
            if (await WebhookEndpointStore.CountAsync(tx, owner) >= MostEndpoints)
                return ApiError.Conflict("too_many_webhook_endpoints", $"At most {MostEndpoints} endpoints {(owner is null ? "for the operator" : "per customer")}; delete one first.");
            await WebhookEndpointStore.InsertAsync(tx, endpoint);
            await audit.RecordAsync(tx, caller.Actor, "webhook_endpoint.created", "webhook_endpoint", id, null, endpoint, owner);
            return WebhookEndpointWithSecret.Of(endpoint, secret);
        }, ct);
    }

    const string IdPrefix = WebhookEndpointStore.IdPrefix;

    /// <summary>The endpoint, when the caller may see it: another customer's answers as if it did not exist.</summary>
    public async Task<Result<WebhookEndpoint>> GetAsync(Caller caller, string id, CancellationToken ct) =>
        await store.GetAsync(id, ct) is { } endpoint && Sees(caller, endpoint) ? endpoint : ApiError.NotFound("webhook endpoint", id);

    public async Task<Result<Page<WebhookEndpoint>>> ListAsync(Caller caller, string? customerId, PageRequest page, CancellationToken ct)
    {
        if (page.Check() is { } invalid) return invalid;
        var readsFor = caller.ReadsFor(customerId);
        if (!readsFor.IsOk) return readsFor.Error;
        return await store.ListAsync(readsFor.Value, page, ct);
    }

    public Task<Result<WebhookEndpoint>> UpdateAsync(Caller caller, string id, UpdateWebhookEndpointRequest request, CancellationToken ct) =>
        ChangeAsync(caller, id, "webhook_endpoint.updated", endpoint =>
        {
            if (Problems(request.Url, request.Events, request.Description, endpoint.Mode, required: false) is { } invalid) return invalid;
            return endpoint with
            {
                Url = request.Url ?? endpoint.Url, Events = request.Events is { Count: > 0 } events ? [.. events.Distinct()] : endpoint.Events,
                Description = request.Description ?? endpoint.Description,
            };
        }, ct);

    public Task<Result<WebhookEndpoint>> DisableAsync(Caller caller, string id, CancellationToken ct) =>
        ChangeAsync(caller, id, "webhook_endpoint.disabled", e => e with { Status = "disabled", DisabledReason = "operator" }, ct);

    /// <summary>Enabled again, its failures forgotten: messages that failed meanwhile are replayed by asking for them.</summary>
    public Task<Result<WebhookEndpoint>> EnableAsync(Caller caller, string id, CancellationToken ct) =>
        ChangeAsync(caller, id, "webhook_endpoint.enabled", e => e with { Status = "enabled", DisabledReason = null, FailingSince = null }, ct);

    /// <summary>A new secret, shown once; the old one signs beside it for <see cref="WebhookOptions.RotationOverlap"/>, so receivers can switch without losing a message.</summary>
    public async Task<Result<WebhookEndpointWithSecret>> RotateSecretAsync(Caller caller, string id, CancellationToken ct)
    {
        var secret = StandardWebhooks.NewSecret();
        var rotated = await ChangeAsync(caller, id, "webhook_endpoint.secret_rotated", e => e with
        {
            SecretSealed = secrets.Seal(secret, SecretContext(e.Id)), PreviousSecretSealed = e.SecretSealed, PreviousSecretUntil = time.GetUtcNow() + options.Value.RotationOverlap,
        }, ct);
        return rotated.IsOk ? WebhookEndpointWithSecret.Of(rotated.Value, secret) : rotated.Error;
    }

    /// <summary>Deleted: it is no longer listed nor sent to, and messages still waiting for it are dropped.</summary>
    public async Task<Result<WebhookEndpoint>> DeleteAsync(Caller caller, string id, CancellationToken ct) =>
        await database.InTransactionAsync<WebhookEndpoint>(async (_, tx) =>
        {
            if (await store.FindAsync(tx, id) is not { } endpoint || !Sees(caller, endpoint)) return ApiError.NotFound("webhook endpoint", id);
            var now = time.GetUtcNow();
            await WebhookEndpointStore.DeleteAsync(tx, id, now);
            await Delivery.DeliveryStore.DropPendingAsync(tx, id, now);
            await audit.RecordAsync(tx, caller.Actor, "webhook_endpoint.deleted", "webhook_endpoint", id, endpoint, null, endpoint.CustomerId);
            return endpoint with { Status = "disabled", UpdatedAt = now };
        }, ct);

    async Task<Result<WebhookEndpoint>> ChangeAsync(Caller caller, string id, string action, Func<WebhookEndpoint, Result<WebhookEndpoint>> change, CancellationToken ct) =>
        await database.InTransactionAsync<WebhookEndpoint>(async (_, tx) =>
        {
            if (await store.FindAsync(tx, id) is not { } endpoint || !Sees(caller, endpoint)) return ApiError.NotFound("webhook endpoint", id);
            var changed = change(endpoint);
            if (!changed.IsOk) return changed.Error;
            var updated = changed.Value with { UpdatedAt = time.GetUtcNow() };
            await WebhookEndpointStore.UpdateAsync(tx, updated);
            await audit.RecordAsync(tx, caller.Actor, action, "webhook_endpoint", id, endpoint, updated, endpoint.CustomerId);
            return updated;
        }, ct);

    /// <summary>Admin keys see every endpoint; a customer key its own customer's only.</summary>
    static bool Sees(Caller caller, WebhookEndpoint endpoint) => caller.IsAdmin || (endpoint.CustomerId is not null && endpoint.CustomerId == caller.Key.CustomerId);

    ApiError? Problems(string? url, IReadOnlyList<string>? events, string? description, string mode, bool required)
    {
        var errors = new Dictionary<string, string[]>();
        if (url is null)
        {
            if (required) errors["url"] = ["is required."];
        }
        else if (WebhookUrl.Problem(url, mode, options.Value.Outbound()) is { } problem)
        {
            errors["url"] = [problem];
        }

        if (events is { Count: > MostEvents }) errors["events"] = [$"at most {MostEvents} filters."];
        else if (events?.Select(EventTypes.Problem).OfType<string>().ToList() is { Count: > 0 } bad) errors["events"] = [.. bad];
        if (description is { Length: > MostDescriptionLength }) errors["description"] = [$"at most {MostDescriptionLength} characters."];
        return errors.Count == 0 ? null : ApiError.Invalid(errors);
    }
}
