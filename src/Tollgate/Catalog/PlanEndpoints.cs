using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.ApiKeys;
using Tollgate.Common;

namespace Tollgate.Catalog;

public static class PlanEndpoints
{
    public static RouteGroupBuilder MapPlanEndpoints(this RouteGroupBuilder plans)
    {
        plans.MapGet("/", List).WithSummary("List plans, newest first.");
        plans.MapPost("/", Create).WithSummary("Create a plan, optionally with its first version (and publish it).");
        plans.MapGet("/{code}", Get).WithSummary("Get a plan with its current and latest version numbers.");
        plans.MapPatch("/{code}", Update).WithSummary("Rename a plan or change its description.");
        plans.MapPost("/{code}/archive", Archive).WithSummary("Archive a plan: no longer offered, existing subscriptions keep it.");
        plans.MapGet("/{code}/versions", ListVersions).WithSummary("List a plan's versions.");
        plans.MapPost("/{code}/versions", AddVersion).WithSummary("Add a version (a draft unless ?publish=true).");
        plans.MapGet("/{code}/versions/{version:int}", GetVersion).WithSummary("Get one version: prices, entitlements, charges.");
        plans.MapPut("/{code}/versions/{version:int}", ReplaceDraft).WithSummary("Replace a draft's content; published versions cannot change.");
        plans.MapPost("/{code}/versions/{version:int}/publish", Publish).WithSummary("Publish a draft: it becomes the plan's current version.");
        return plans;
    }

    static async Task<Results<Ok<Page<Plan>>, ProblemHttpResult>> List(
        PlanStore store, [FromQuery(Name = "include_archived")] bool? includeArchived, int? limit, string? cursor, CancellationToken ct)
    {
        var page = new PageRequest(limit, cursor);
        return page.Check() is { } invalid ? invalid.ToProblem() : TypedResults.Ok(await store.ListAsync(includeArchived == true, page, ct));
    }

    static async Task<Results<Created<Plan>, ProblemHttpResult>> Create(Caller caller, PlanStore store, CreatePlanRequest request, CancellationToken ct) =>
        (await store.CreateAsync(request, caller.Actor, ct)).ToCreated(p => $"/api/v1/plans/{p.Code}");

    static async Task<Results<Ok<Plan>, ProblemHttpResult>> Get(PlanStore store, string code, CancellationToken ct) =>
        await store.GetAsync(code, ct) is { } plan ? TypedResults.Ok(plan) : ApiError.NotFound("plan", code).ToProblem();

    static async Task<Results<Ok<Plan>, ProblemHttpResult>> Update(Caller caller, PlanStore store, string code, UpdatePlanRequest request, CancellationToken ct) =>
        (await store.UpdateAsync(code, request, caller.Actor, ct)).ToOk();

    static async Task<Results<Ok<Plan>, ProblemHttpResult>> Archive(Caller caller, PlanStore store, string code, CancellationToken ct) =>
        (await store.ArchiveAsync(code, caller.Actor, ct)).ToOk();

    static async Task<Results<Ok<IReadOnlyList<PlanVersion>>, ProblemHttpResult>> ListVersions(PlanStore store, string code, CancellationToken ct) =>
        await store.ListVersionsAsync(code, ct) is { } versions ? TypedResults.Ok(versions) : ApiError.NotFound("plan", code).ToProblem();

    static async Task<Results<Created<PlanVersion>, ProblemHttpResult>> AddVersion(
        Caller caller, PlanStore store, string code, PlanVersionSpec spec, bool? publish, CancellationToken ct) =>
        (await store.AddVersionAsync(code, spec, publish == true, caller.Actor, ct)).ToCreated(v => $"/api/v1/plans/{code}/versions/{v.Version}");

    static async Task<Results<Ok<PlanVersion>, ProblemHttpResult>> GetVersion(PlanStore store, string code, int version, CancellationToken ct) =>
        await store.GetVersionAsync(code, version, ct) is { } v ? TypedResults.Ok(v) : ApiError.NotFound("plan version", $"{code}@{version}").ToProblem();

    static async Task<Results<Ok<PlanVersion>, ProblemHttpResult>> ReplaceDraft(
        Caller caller, PlanStore store, string code, int version, PlanVersionSpec spec, CancellationToken ct) =>
        (await store.ReplaceDraftAsync(code, version, spec, caller.Actor, ct)).ToOk();

    static async Task<Results<Ok<PlanVersion>, ProblemHttpResult>> Publish(Caller caller, PlanStore store, string code, int version, CancellationToken ct) =>
        (await store.PublishAsync(code, version, caller.Actor, ct)).ToOk();
}
