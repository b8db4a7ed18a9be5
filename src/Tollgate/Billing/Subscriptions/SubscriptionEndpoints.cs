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
        subscriptions.MapPost("/{id}/change", Change)
            .WithSummary("Change plan, interval or quantity, now (prorated to the second: invoice_now, next_invoice or none) or at the period's end; preview: true answers what it would do and writes nothing.");
        subscriptions.MapPost("/{id}/resume", Resume)
            .WithSummary("Resume a paused subscription now (a new period from now, invoiced at once), or call off a pause set for the period's end.");
        subscriptions.MapPost("/{id}/cancel", Cancel)
            .WithSummary("Cancel at the period's end (the default), or now: access ends at once and the period so far is invoiced (its usage, the lines waiting; prorate: true credits the unused time paid for), with a reason.");
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

    static async Task<Results<Ok<SubscriptionChange>, ProblemHttpResult>> Change(
        Caller caller, SubscriptionStore store, string id, ChangeSubscriptionRequest request, CancellationToken ct) =>
        (await store.ChangeAsync(id, request, caller.Actor, ct)).ToOk();

    static async Task<Results<Ok<Subscription>, ProblemHttpResult>> Resume(Caller caller, SubscriptionStore store, string id, CancellationToken ct) =>
        (await store.ResumeAsync(id, caller.Actor, ct)).ToOk();

    static async Task<Results<Ok<Subscription>, ProblemHttpResult>> Cancel(
        Caller caller, SubscriptionStore store, Runs.InvoiceRunner runner, string id, CancelSubscriptionRequest? request, CancellationToken ct)
    {
        request ??= new CancelSubscriptionRequest();
        return (request.At == CancelTiming.Now
            ? await runner.CancelNowAsync(id, request, caller.Actor, ct)
            : await store.CancelAtPeriodEndAsync(id, request, caller.Actor, ct)).ToOk();
    }
}
