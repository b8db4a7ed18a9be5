using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Tollgate.ApiKeys;
using Tollgate.Common;

namespace Tollgate.Billing.Invoices;

public static class InvoiceEndpoints
{
    public static RouteGroupBuilder MapInvoiceEndpoints(this RouteGroupBuilder api)
    {
        var invoices = api.MapGroup("/invoices").WithTags("Billing").RequireAdmin();
        invoices.MapGet("/", List).WithSummary("List invoices, newest first, by customer, subscription and status.");
        invoices.MapGet("/{id}", Get).WithSummary("Get an invoice with its lines and totals, all amounts in minor units.");
        invoices.MapPost("/{id}/finalize", (Caller caller, InvoiceStore store, string id, CancellationToken ct) => Change(store.FinalizeAsync(id, caller.Actor, ct)))
            .WithSummary("Finalize a draft: it gets the next invoice number and is open for payment (paid at once when nothing is due).");
        invoices.MapPost("/{id}/void", (Caller caller, InvoiceStore store, string id, CancellationToken ct) => Change(store.VoidAsync(id, caller.Actor, ct)))
            .WithSummary("Void an open or uncollectible invoice: nothing is owed on it; its number stays used.");
        invoices.MapPost("/{id}/mark-uncollectible", (Caller caller, InvoiceStore store, string id, CancellationToken ct) => Change(store.MarkUncollectibleAsync(id, caller.Actor, ct)))
            .WithSummary("Mark an open invoice uncollectible: not expected to be paid, still payable.");

        return api;
    }

    static async Task<Results<Ok<Page<Invoice>>, ProblemHttpResult>> List(
        InvoiceStore store, [FromQuery(Name = "customer_id")] string? customerId, [FromQuery(Name = "subscription_id")] string? subscriptionId,
        InvoiceStatus? status, int? limit, string? cursor, CancellationToken ct)
    {
        var page = new PageRequest(limit, cursor);
        return page.Check() is { } invalid ? invalid.ToProblem() : TypedResults.Ok(await store.ListAsync(customerId, subscriptionId, status, page, ct));
    }

    static async Task<Results<Ok<Invoice>, ProblemHttpResult>> Get(InvoiceStore store, string id, CancellationToken ct) =>
        await store.GetAsync(id, ct) is { } invoice ? TypedResults.Ok(invoice) : ApiError.NotFound("invoice", id).ToProblem();

    static async Task<Results<Ok<Invoice>, ProblemHttpResult>> Change(Task<Result<Invoice>> change) => (await change).ToOk();

}
