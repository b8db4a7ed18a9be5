using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.ApiKeys;
using Tollgate.Billing.Invoices;
using Tollgate.Billing.Subscriptions;
using Tollgate.Common;

namespace Tollgate.Billing.Runs;

public static class RunEndpoints
{
    public static RouteGroupBuilder MapInvoiceRunEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/invoice-runs", Run).WithTags("Billing").RequireAdmin()
            .WithSummary("Bill every subscription whose period has ended; safe to run again at any time, and after a crash: nothing is billed twice.");
        // What a subscription does now, in the middle of its period: each first bills a period that has ended and is due.
        api.MapPost("/subscriptions/{id}/change", Change).WithTags("Billing").RequireAdmin()
            .WithSummary("Change plan, interval or quantity, now (prorated to the second: invoice_now, next_invoice or none) or at the period's end; preview: true answers what it would do and writes nothing.");
        api.MapPost("/subscriptions/{id}/cancel", Cancel).WithTags("Billing").RequireAdmin()
            .WithSummary("Cancel at the period's end (the default), or now: access ends at once and the period so far is invoiced (its usage, the lines waiting; prorate: true credits the unused time paid for), with a reason.");
        api.MapPost("/subscriptions/{id}/pause", Pause).WithTags("Billing").RequireAdmin()
            .WithSummary("Pause at the period's end (the default: its usage billed, then no access and no billing) or now (the period cut and billed, unused time credited); resumes_at resumes it by itself.");
        api.MapGet("/subscriptions/{id}/upcoming-invoice", Upcoming).WithTags("Billing").RequireAdmin()
            .WithSummary("The invoice the current period will end with, from what is known now: the invoice run's own arithmetic, unwritten.");
        return api;
    }

    static async Task<Ok<InvoiceRunResult>> Run(Caller caller, InvoiceRunner runner, CancellationToken ct) =>
        TypedResults.Ok(await runner.RunAsync(caller.Actor, ct));

    static async Task<Results<Ok<SubscriptionChange>, ProblemHttpResult>> Change(
        Caller caller, InvoiceRunner runner, SubscriptionStore store, string id, ChangeSubscriptionRequest request, CancellationToken ct)
    {
        await runner.BillDueAsync(id, caller.Actor, ct);
        return (await store.ChangeAsync(id, request, caller.Actor, ct)).ToOk();
    }

    static async Task<Results<Ok<Subscription>, ProblemHttpResult>> Cancel(
        Caller caller, InvoiceRunner runner, SubscriptionStore store, string id, CancelSubscriptionRequest? request, CancellationToken ct)
    {
        request ??= new CancelSubscriptionRequest();
        await runner.BillDueAsync(id, caller.Actor, ct);
        return (request.At == CancelTiming.Now
            ? await runner.CancelNowAsync(id, request, caller.Actor, ct)
            : await store.CancelAtPeriodEndAsync(id, request, caller.Actor, ct)).ToOk();
    }

    static async Task<Results<Ok<Subscription>, ProblemHttpResult>> Pause(
        Caller caller, InvoiceRunner runner, SubscriptionStore store, string id, PauseSubscriptionRequest? request, CancellationToken ct)
    {
        request ??= new PauseSubscriptionRequest();
        await runner.BillDueAsync(id, caller.Actor, ct);
        return (request.At == PauseTiming.Now ? await runner.PauseNowAsync(id, request, caller.Actor, ct) : await store.SchedulePauseAsync(id, request, caller.Actor, ct)).ToOk();
    }

    static async Task<Results<Ok<Invoice>, ProblemHttpResult>> Upcoming(InvoiceRunner runner, string id, CancellationToken ct)
    {
        var upcoming = await runner.UpcomingAsync(id, ct);
        if (!upcoming.IsOk) return upcoming.Error.ToProblem();
        return upcoming.Value is { } invoice
            ? TypedResults.Ok(invoice)
            : new ApiError("no_upcoming_invoice", StatusCodes.Status404NotFound, $"Subscription {id} has no period left to bill.").ToProblem();
    }
}
