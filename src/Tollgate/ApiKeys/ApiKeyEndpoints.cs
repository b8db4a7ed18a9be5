using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.Common;

namespace Tollgate.ApiKeys;

public static class ApiKeyEndpoints
{
    public static RouteGroupBuilder MapApiKeyEndpoints(this RouteGroupBuilder api)
    {
        var keys = api.MapGroup("/keys").WithTags("API keys");
        keys.MapGet("/", List).RequireScope(Scopes.CustomerRead, Scopes.KeysWrite)
            .WithSummary("List keys: all of them for an admin key, a customer's own for a customer key.");
        keys.MapPost("/", Create).RequireScope(Scopes.KeysWrite).WithSummary("Create a key. The secret is in this response only.");
        // Any key may read, rotate or revoke itself; KeyPolicy decides which other keys it may touch.
        keys.MapGet("/{id}", Get).RequireAnyKey().WithSummary("Get a key (never its secret).");
        keys.MapPost("/{id}/rotate", Rotate).RequireAnyKey().WithSummary("Replace a key: a new secret now, the old one valid for the overlap.");
        keys.MapPost("/{id}/revoke", Revoke).RequireAnyKey().WithSummary("Revoke a key at once.");
        keys.MapDelete("/{id}", Revoke).RequireAnyKey().WithSummary("Revoke a key at once (same as POST /revoke).");
        return api;
    }

    static async Task<Results<Ok<Page<ApiKeyView>>, ProblemHttpResult>> List(
        Caller caller, ApiKeyStore store, [FromQuery(Name = "customer_id")] string? customerId, KeyKind? kind, int? limit, string? cursor, CancellationToken ct)
    {
        var page = new PageRequest(limit, cursor);
        if (page.Check() is { } invalid) return invalid.ToProblem();
        if (!caller.IsAdmin)
        {
            if (customerId is not null && customerId != caller.Key.CustomerId) return ApiError.NotFound("customer", customerId).ToProblem();
            customerId = caller.Key.CustomerId;
            kind = KeyKind.Customer;
        }

        return TypedResults.Ok(await store.ListAsync(customerId, kind, page, ct));
    }

    static async Task<Results<Created<ApiKeyView>, ProblemHttpResult>> Create(
        Caller caller, ApiKeyStore store, TimeProvider time, CreateKeyRequest request, CancellationToken ct)
    {
        var key = KeyPolicy.ForCreate(caller, request, time.GetUtcNow());
        if (!key.IsOk) return key.Error.ToProblem();
        var created = await store.CreateAsync(key.Value, caller.Actor, ct);
        return created.ToCreated(k => $"/api/v1/keys/{k.Id}");
    }

    static async Task<Results<Ok<ApiKeyView>, ProblemHttpResult>> Get(Caller caller, ApiKeyStore store, string id, CancellationToken ct)
    {
        var key = await store.GetAsync(id, ct);
        return key is not null && caller.Sees(key.CustomerId) || key?.Id == caller.Key.Id
            ? TypedResults.Ok(key!)
            : ApiError.NotFound("key", id).ToProblem();
    }

    static async Task<Results<Ok<ApiKeyView>, ProblemHttpResult>> Rotate(
        Caller caller, ApiKeyStore store, TimeProvider time, string id, RotateKeyRequest? request, CancellationToken ct)
    {
        var key = await store.GetAsync(id, ct);
        if (key is null) return ApiError.NotFound("key", id).ToProblem();
        var rotation = KeyPolicy.ForRotate(caller, key, request ?? new RotateKeyRequest(), time.GetUtcNow());
        if (!rotation.IsOk) return rotation.Error.ToProblem();
        return (await store.RotateAsync(id, rotation.Value, caller.Actor, ct)).ToOk();
    }

    static async Task<Results<Ok<ApiKeyView>, ProblemHttpResult>> Revoke(Caller caller, ApiKeyStore store, string id, CancellationToken ct)
    {
        var key = await store.GetAsync(id, ct);
        if (key is null) return ApiError.NotFound("key", id).ToProblem();
        if (KeyPolicy.ForChange(caller, key) is { } denied) return denied.ToProblem();
        return (await store.RevokeAsync(id, caller.Actor, ct)).ToOk();
    }
}
