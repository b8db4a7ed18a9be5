using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.ApiKeys;
using Tollgate.Common;
using Tollgate.Gateway.Protocols;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Usage;

namespace Tollgate.Gateway;

public static class GatewayEndpoints
{
    /// <summary>The OpenAI- and Anthropic-compatible routes, at <c>/v1</c> as the official SDKs expect.</summary>
    public static WebApplication MapGatewayEndpoints(this WebApplication app)
    {
        var v1 = app.MapGroup("/v1").WithTags("Gateway");
        v1.MapPost("/chat/completions", (HttpContext c, GatewayHandler h) => h.HandleAsync(c, GatewayOperation.ChatCompletions))
            .Accepts<JsonObject>("application/json").Produces<JsonObject>(200, "application/json", "text/event-stream")
            .WithSummary("OpenAI chat completions, streamed or not, served by any configured model.");
        v1.MapPost("/embeddings", (HttpContext c, GatewayHandler h) => h.HandleAsync(c, GatewayOperation.Embeddings))
            .Accepts<JsonObject>("application/json").Produces<JsonObject>().WithSummary("OpenAI embeddings.");
        v1.MapPost("/images/generations", (HttpContext c, GatewayHandler h) => h.HandleAsync(c, GatewayOperation.ImageGenerations))
            .Accepts<JsonObject>("application/json").Produces<JsonObject>().WithSummary("OpenAI image generation.");
        v1.MapPost("/messages", (HttpContext c, GatewayHandler h) => h.HandleAsync(c, GatewayOperation.Messages))
            .Accepts<JsonObject>("application/json").Produces<JsonObject>(200, "application/json", "text/event-stream")
            .WithSummary("Anthropic Messages, streamed or not, served by any configured model.");
        v1.MapGet("/models", ListModels).Produces<JsonObject>()
            .WithSummary("The models this key's plan may use; in Anthropic's shape when an anthropic-version header is sent.");
        v1.MapGet("/models/{model}", GetModel).Produces<JsonObject>().WithSummary("One model, if this key's plan may use it.");
        return app;
    }

    public static RouteGroupBuilder MapUsageRecordEndpoints(this RouteGroupBuilder api)
    {
        var records = api.MapGroup("/usage-records").WithTags("Usage").RequireScope(Scopes.UsageRead);
        records.MapGet("/", ListRecords).WithSummary("Gateway usage records, newest first: one per request. Customer keys see their own.");
        records.MapGet("/{requestId}", GetRecord).WithSummary("The usage record of one request, by its x-request-id.");
        return api;
    }

    /// <summary>The caller of a model-list route, or null once it has been answered with an error in the caller's format.</summary>
    static async Task<(GatewayCaller? Caller, bool Anthropic)> CallerAsync(HttpContext context, GatewayAuthenticator authenticator)
    {
        var anthropic = context.Request.Headers.ContainsKey("anthropic-version");
        var (caller, refusal) = await authenticator.AuthenticateAsync(context);
        if (caller is null) await refusal!.WriteAsync(context, anthropic ? GatewayProtocol.Anthropic : GatewayProtocol.OpenAI);
        return (caller, anthropic);
    }

    static async Task ListModels(HttpContext context, GatewayAuthenticator authenticator, RouteRegistry routes)
    {
        var (caller, anthropic) = await CallerAsync(context, authenticator);
        if (caller is null) return;

        var visible = routes.Current.Models.Values.Where(m => caller.MayUse(m.Feature)).OrderBy(m => m.Alias, StringComparer.Ordinal).ToList();
        var data = new JsonArray([.. visible.Select(m => (JsonNode)Describe(m, anthropic))]);
        JsonObject list = anthropic
            ? new() { ["data"] = data, ["has_more"] = false, ["first_id"] = visible.FirstOrDefault()?.Alias, ["last_id"] = visible.LastOrDefault()?.Alias }
            : new() { ["object"] = "list", ["data"] = data };
        await context.Response.WriteAsJsonAsync(list);
    }

    static async Task GetModel(HttpContext context, string model, GatewayAuthenticator authenticator, RouteRegistry routes)
    {
        var (caller, anthropic) = await CallerAsync(context, authenticator);
        if (caller is null) return;

        var route = routes.Current.Find(model);
        if (route is null || !caller.MayUse(route.Feature))
        {
            await GatewayError.ModelNotFound(model).WriteAsync(context, anthropic ? GatewayProtocol.Anthropic : GatewayProtocol.OpenAI);
            return;
        }

        await context.Response.WriteAsJsonAsync(Describe(route, anthropic));
    }

    static JsonObject Describe(ModelRoute route, bool anthropic) => anthropic
        ? new() { ["type"] = "model", ["id"] = route.Alias, ["display_name"] = route.Alias, ["created_at"] = "2024-01-01T00:00:00Z" }
        : new() { ["id"] = route.Alias, ["object"] = "model", ["created"] = 0, ["owned_by"] = route.Deployments[0].Provider.Name, ["type"] = route.Type };

    static async Task<Results<Ok<Page<UsageRecord>>, ProblemHttpResult>> ListRecords(
        Caller caller, UsageStore store, string? customer_id, string? key_id, string? model, int? limit, string? cursor, CancellationToken ct)
    {
        var scope = caller.ReadsFor(customer_id);
        if (!scope.IsOk) return scope.Error.ToProblem();
        customer_id = scope.Value;

        var page = new PageRequest(limit, cursor);
        if (page.Check() is { } invalid) return invalid.ToProblem();
        return TypedResults.Ok(await store.ListAsync(customer_id, key_id, model, page, ct));
    }

    static async Task<Results<Ok<UsageRecord>, ProblemHttpResult>> GetRecord(Caller caller, UsageStore store, string requestId, CancellationToken ct)
    {
        var record = await store.GetAsync(requestId, ct);
        if (record is null || !caller.Sees(record.CustomerId))
        {
            return ApiError.NotFound("usage record", requestId).ToProblem();
        }

        return TypedResults.Ok(record);
    }
}
