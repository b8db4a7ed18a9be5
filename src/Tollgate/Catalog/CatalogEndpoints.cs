using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.ApiKeys;
using Tollgate.Common;

namespace Tollgate.Catalog;

public static class CatalogEndpoints
{
    public static RouteGroupBuilder MapCatalogEndpoints(this RouteGroupBuilder api)
    {
        var metrics = api.MapGroup("/metrics").WithTags("Catalog").RequireAdmin();
        metrics.MapGet("/", async (CatalogStore store, CancellationToken ct) => TypedResults.Ok(await store.ListMetricsAsync(ct)))
            .WithSummary("List billable metrics.");
        metrics.MapPost("/", CreateMetric).WithSummary("Create a billable metric.");
        metrics.MapGet("/{code}", GetMetric).WithSummary("Get a billable metric.");
        metrics.MapPut("/{code}", PutMetric).WithSummary("Create or replace a billable metric; the same body twice changes nothing.");
        metrics.MapDelete("/{code}", DeleteMetric).WithSummary("Delete a metric no feature or charge uses.");

        var features = api.MapGroup("/features").WithTags("Catalog").RequireAdmin();
        features.MapGet("/", async (CatalogStore store, CancellationToken ct) => TypedResults.Ok(await store.ListFeaturesAsync(ct)))
            .WithSummary("List features.");
        features.MapPost("/", CreateFeature).WithSummary("Create a feature: boolean, limit or quota.");
        features.MapGet("/{code}", GetFeature).WithSummary("Get a feature.");
        features.MapPut("/{code}", PutFeature).WithSummary("Create or replace a feature; the same body twice changes nothing.");
        features.MapDelete("/{code}", DeleteFeature).WithSummary("Delete a feature no plan grants.");

        api.MapGroup("/plans").WithTags("Plans").RequireAdmin().MapPlanEndpoints();

        var catalog = api.MapGroup("/catalog").WithTags("Catalog").RequireAdmin();
        catalog.MapGet("/", async (CatalogApplier applier, CancellationToken ct) => TypedResults.Ok(await applier.ExportAsync(ct)))
            .WithSummary("The whole catalog as a document that 'catalog apply' accepts.");
        catalog.MapPost("/apply", Apply).WithSummary("Apply a catalog document idempotently, all or nothing; ?dry_run=true only reports.");
        return api;
    }

    static async Task<Results<Created<Metric>, ProblemHttpResult>> CreateMetric(Caller caller, CatalogStore store, MetricSpec spec, CancellationToken ct) =>
        (await store.PutMetricAsync(spec, createOnly: true, caller.Actor, ct)).ToCreated(m => $"/api/v1/metrics/{m.Code}");

    static async Task<Results<Ok<Metric>, ProblemHttpResult>> GetMetric(CatalogStore store, string code, CancellationToken ct) =>
        await store.GetMetricAsync(code, ct) is { } metric
            ? TypedResults.Ok(metric)
            : ApiError.NotFound("metric", code).ToProblem();

    static async Task<Results<Ok<Metric>, ProblemHttpResult>> PutMetric(Caller caller, CatalogStore store, string code, MetricSpec spec, CancellationToken ct) =>
        spec.Code is not null && spec.Code != code
            ? ApiError.Invalid("code", $"must match the path ('{code}') or be left out.").ToProblem()
            : (await store.PutMetricAsync(spec with { Code = code }, createOnly: false, caller.Actor, ct)).ToOk();

    static async Task<Results<Ok<Metric>, ProblemHttpResult>> DeleteMetric(Caller caller, CatalogStore store, string code, CancellationToken ct) =>
        (await store.DeleteMetricAsync(code, caller.Actor, ct)).ToOk();

    static async Task<Results<Created<Feature>, ProblemHttpResult>> CreateFeature(Caller caller, CatalogStore store, FeatureSpec spec, CancellationToken ct) =>
        (await store.PutFeatureAsync(spec, createOnly: true, caller.Actor, ct)).ToCreated(f => $"/api/v1/features/{f.Code}");

    static async Task<Results<Ok<Feature>, ProblemHttpResult>> GetFeature(CatalogStore store, string code, CancellationToken ct) =>
        await store.GetFeatureAsync(code, ct) is { } feature
            ? TypedResults.Ok(feature)
            : ApiError.NotFound("feature", code).ToProblem();

    static async Task<Results<Ok<Feature>, ProblemHttpResult>> PutFeature(Caller caller, CatalogStore store, string code, FeatureSpec spec, CancellationToken ct) =>
        spec.Code is not null && spec.Code != code
            ? ApiError.Invalid("code", $"must match the path ('{code}') or be left out.").ToProblem()
            : (await store.PutFeatureAsync(spec with { Code = code }, createOnly: false, caller.Actor, ct)).ToOk();

    static async Task<Results<Ok<Feature>, ProblemHttpResult>> DeleteFeature(Caller caller, CatalogStore store, string code, CancellationToken ct) =>
        (await store.DeleteFeatureAsync(code, caller.Actor, ct)).ToOk();

    static async Task<Results<Ok<CatalogApplyResult>, ProblemHttpResult>> Apply(
        Caller caller, CatalogApplier applier, CatalogDocument document, [FromQuery(Name = "dry_run")] bool? dryRun, CancellationToken ct) =>
        (await applier.ApplyAsync(document, dryRun == true, caller.Actor, ct)).ToOk();
}
