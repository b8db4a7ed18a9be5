using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Tollgate.ApiKeys;
using Tollgate.Common;

namespace Tollgate.Billing.Subscriptions;

public static class SubscriptionEndpoints
{
    public static RouteGroupBuilder MapSubscriptionEndpoints(this RouteGroupBuilder api)
    {
        var subscriptions = api.MapGroup("/subscriptions").WithTags("Billing").RequireAdmin();
        subscriptions.MapPost("/", Create)
            .WithSummary("Subscribe a customer to a plan's current version: with a trial (trialing, billed when it ends) or without (active, its first period invoiced at once).");
        subscriptions.MapPost("/migrate-plans", async (Caller caller, PlanMigration migration, MigratePlansRequest? request, CancellationToken ct) =>
                (await migration.MigrateAsync(request ?? new MigratePlansRequest(), caller.Actor, ct)).ToOk())
            .WithSummary("Move every customer whose plan was set directly onto a subscription to it (active from now, its first period not invoiced unless asked); dry_run reports only.");
        subscriptions.MapGet("/", List).WithSummary("List subscriptions, newest first, by customer and status.");
        subscriptions.MapGet("/{id}", Get).WithSummary("Get a subscription.");
        subscriptions.MapPost("/{id}/resume", Resume)
            .WithSummary("Resume a paused subscription now (a new period from now, invoiced at once), or call off a pause set for the period's end.");
        return api;
    }

    static async Task<Results<Created<Subscription>, ProblemHttpResult>> Create(Caller caller, SubscriptionStore store, CreateSubscriptionRequest request, CancellationToken ct) =>
        (await store.CreateAsync(request, caller.Actor, ct)).ToCreated(s => $"/api/v1/subscriptions/{s.Id}");

    static async Task<Results<Ok<Page<Subscription>>, ProblemHttpResult>> List(
        SubscriptionStore store, [FromQuery(Name = "customer_id")] string? customerId, SubscriptionStatus? status, int? limit, string? cursor, CancellationToken ct)
    {
        var page = new PageRequest(limit, cursor);
        return page.Check() is { } invalid ? invalid.ToProblem() : TypedResults.Ok(await store.ListAsync(customerId, status, page, ct));
    }

    static async Task<Results<Ok<Subscription>, ProblemHttpResult>> Get(SubscriptionStore store, string id, CancellationToken ct) =>
        await store.GetAsync(id, ct) is { } subscription ? TypedResults.Ok(subscription) : ApiError.NotFound("subscription", id).ToProblem();

    static async Task<Results<Ok<Subscription>, ProblemHttpResult>> Resume(Caller caller, SubscriptionStore store, string id, CancellationToken ct) =>
        (await store.ResumeAsync(id, caller.Actor, ct)).ToOk();
}
