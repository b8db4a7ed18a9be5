using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.ApiKeys;
using Tollgate.Common;

namespace Tollgate.Gateway.Admin;

/// <summary>
/// <c>/api/v1/gateway/providers</c> and <c>/api/v1/gateway/models</c>: the gateway's upstreams and model aliases,
/// managed by operators. Lists show every definition in force, with where it comes from; only those added here can change here.
/// </summary>
public static class RouteAdminEndpoints
{
    public static RouteGroupBuilder MapGatewayAdminEndpoints(this RouteGroupBuilder api)
    {
        var providers = api.MapGroup("/gateway/providers").WithTags("Gateway admin").RequireAdmin();
        providers.MapGet("/", ListProviders).WithSummary("Every provider in force: from the configuration file, the admin API or the built-in defaults.");
        providers.MapGet("/{name}", GetProvider).WithSummary("One provider; its API key shows only as its last four characters.");
        providers.MapPut("/{name}", PutProvider)
            .WithSummary("Create or replace a provider. The API key is encrypted at rest; leave it out to keep the stored one, send \"\" to remove it.");
        providers.MapDelete("/{name}", DeleteProvider).WithSummary("Delete a provider no model is served by.");

        var models = api.MapGroup("/gateway/models").WithTags("Gateway admin").RequireAdmin();
        models.MapGet("/", ListModels).WithSummary("Every model alias in force, with its deployments, fallbacks and required feature.");
        models.MapGet("/{alias}", GetModel).WithSummary("One model alias.");
        models.MapPut("/{alias}", PutModel).WithSummary("Create or replace a model alias: one provider, or weighted deployments; fallbacks; a required feature.");
        models.MapDelete("/{alias}", DeleteModel).WithSummary("Delete a model alias no other model falls back to.");

        api.MapGet("/gateway/counters", ListCounters).WithTags("Gateway admin").RequireAdmin()
            .WithSummary("The shared counters of hard limits and quotas whose period is running, each against the usage records it counts: covered, or behind (raised once quiet).");
        return api;
    }

    static async Task<Ok<Page<Reservations.CounterLine>>> ListCounters(Reservations.CounterReconciler reconciler, CancellationToken ct) =>
        TypedResults.Ok(new Page<Reservations.CounterLine>(await reconciler.CheckAsync(repairable: false, ct), false, null));

    static async Task<Ok<Page<ProviderView>>> ListProviders(RouteStore store, CancellationToken ct) =>
        TypedResults.Ok(new Page<ProviderView>(await store.ListProvidersAsync(ct), false, null));

    static async Task<Results<Ok<ProviderView>, ProblemHttpResult>> GetProvider(RouteStore store, string name, CancellationToken ct) =>
        await store.GetProviderAsync(name, ct) is { } view ? TypedResults.Ok(view) : ApiError.NotFound("gateway provider", name).ToProblem();

    static async Task<Results<Created<ProviderView>, Ok<ProviderView>, ProblemHttpResult>> PutProvider(
        Caller caller, RouteStore store, RouteRefresher refresher, string name, PutProviderRequest request, CancellationToken ct) =>
        await SavedAsync(refresher, await store.PutProviderAsync(name, request, caller.Actor, ct), $"/api/v1/gateway/providers/{name}", ct);

    static async Task<Results<Ok<ProviderView>, ProblemHttpResult>> DeleteProvider(
        Caller caller, RouteStore store, RouteRefresher refresher, string name, CancellationToken ct) =>
        await InForceAsync(refresher, await store.DeleteProviderAsync(name, caller.Actor, ct), ct);

    static async Task<Ok<Page<ModelView>>> ListModels(RouteStore store, CancellationToken ct) =>
        TypedResults.Ok(new Page<ModelView>(await store.ListModelsAsync(ct), false, null));

    static async Task<Results<Ok<ModelView>, ProblemHttpResult>> GetModel(RouteStore store, string alias, CancellationToken ct) =>
        await store.GetModelAsync(alias, ct) is { } view ? TypedResults.Ok(view) : ApiError.NotFound("gateway model", alias).ToProblem();

    static async Task<Results<Created<ModelView>, Ok<ModelView>, ProblemHttpResult>> PutModel(
        Caller caller, RouteStore store, RouteRefresher refresher, string alias, PutModelRequest request, CancellationToken ct) =>
        await SavedAsync(refresher, await store.PutModelAsync(alias, request, caller.Actor, ct), $"/api/v1/gateway/models/{alias}", ct);

    static async Task<Results<Ok<ModelView>, ProblemHttpResult>> DeleteModel(
        Caller caller, RouteStore store, RouteRefresher refresher, string alias, CancellationToken ct) =>
        await InForceAsync(refresher, await store.DeleteModelAsync(alias, caller.Actor, ct), ct);

    /// <summary>A successful change is in force on this node before the response goes out.</summary>
    static async Task<Results<Created<T>, Ok<T>, ProblemHttpResult>> SavedAsync<T>(
        RouteRefresher refresher, Result<(T View, bool Created)> result, string location, CancellationToken ct)
    {
        if (!result.IsOk) return result.Error.ToProblem();
        await refresher.ReloadAsync(ct);
        return result.Value.Created ? TypedResults.Created(location, result.Value.View) : TypedResults.Ok(result.Value.View);
    }

    static async Task<Results<Ok<T>, ProblemHttpResult>> InForceAsync<T>(RouteRefresher refresher, Result<T> result, CancellationToken ct)
    {
        if (result.IsOk) await refresher.ReloadAsync(ct);
        return result.ToOk();
    }
}
