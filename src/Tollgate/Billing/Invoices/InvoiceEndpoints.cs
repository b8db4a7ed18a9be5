using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Tollgate.ApiKeys;
using Microsoft.Extensions.Options;
using Tollgate.Common;

namespace Tollgate.Billing.Invoices;

public static class InvoiceEndpoints
{
    public static RouteGroupBuilder MapInvoiceEndpoints(this RouteGroupBuilder api)
    {
        var invoices = api.MapGroup("/invoices").WithTags("Billing").RequireAdmin();
        invoices.MapGet("/", List).WithSummary("List invoices, newest first, by customer, subscription and status.");
        invoices.MapGet("/{id}", Get).WithSummary("Get an invoice with its lines and totals, all amounts in minor units.");
        invoices.MapGet("/{id}/html", (InvoicePages pages, string id, CancellationToken ct) => PageAsync(pages, null, id, ct))
            .WithSummary("The invoice as a page for its customer: one self-contained HTML document that also prints.");
        invoices.MapGet("/{id}/pdf", (InvoicePages pages, InvoicePdf pdf, string id, CancellationToken ct) => PdfAsync(pages, pdf, null, id, ct))
            .WithSummary("The invoice page printed to PDF (A4) by headless Chromium; 503 pdf_unavailable on a server without Chromium.");
        invoices.MapPost("/{id}/finalize", (Caller caller, InvoiceStore store, string id, CancellationToken ct) => Change(store.FinalizeAsync(id, caller.Actor, ct)))
            .WithSummary("Finalize a draft: it gets the next invoice number and is open for payment (paid at once when nothing is due).");
        invoices.MapPost("/{id}/void", (Caller caller, InvoiceStore store, string id, CancellationToken ct) => Change(store.VoidAsync(id, caller.Actor, ct)))
            .WithSummary("Void an open or uncollectible invoice: nothing is owed on it; its number stays used.");
        invoices.MapPost("/{id}/mark-uncollectible", (Caller caller, InvoiceStore store, string id, CancellationToken ct) => Change(store.MarkUncollectibleAsync(id, caller.Actor, ct)))
            .WithSummary("Mark an open invoice uncollectible: not expected to be paid, still payable.");

        // A customer's own invoices, for its keys (customer:read) and the operator's: another customer's answer 404.
        var own = api.MapGroup("/customers/{customerId}/invoices").WithTags("Billing").RequireCustomerAccess(Scopes.CustomerRead);
        own.MapGet("/", ListOwn).WithSummary("A customer's finalized invoices, newest first (drafts are the operator's).");
        own.MapGet("/{id}", async (InvoiceStore store, string customerId, string id, CancellationToken ct) =>
                await OwnAsync(store, customerId, id, ct) is { } invoice ? Results.Ok(invoice) : ApiError.NotFound("invoice", id).ToProblem())
            .Produces<Invoice>().WithSummary("One of the customer's invoices.");
        own.MapGet("/{id}/html", (InvoicePages pages, string customerId, string id, CancellationToken ct) => PageAsync(pages, customerId, id, ct))
            .WithSummary("One of the customer's invoices as a page.");
        own.MapGet("/{id}/pdf", (InvoicePages pages, InvoicePdf pdf, string customerId, string id, CancellationToken ct) => PdfAsync(pages, pdf, customerId, id, ct))
            .WithSummary("One of the customer's invoices as a PDF.");
        return api;
    }

    static async Task<Results<Ok<Page<Invoice>>, ProblemHttpResult>> ListOwn(InvoiceStore store, string customerId, int? limit, string? cursor, CancellationToken ct)
    {
        var page = new PageRequest(limit, cursor);
        if (page.Check() is { } invalid) return invalid.ToProblem();
        return TypedResults.Ok(await store.ListAsync(customerId, null, null, page, finalizedOnly: true, ct));
    }

    /// <summary>The invoice when it is the customer's (or any, for the operator's routes), and a customer may see it: finalized.</summary>
    internal static async Task<Invoice?> OwnAsync(InvoiceStore store, string? customerId, string id, CancellationToken ct) =>
        await store.GetAsync(id, ct) is { } invoice && (customerId is null || (invoice.CustomerId == customerId && invoice.Status != InvoiceStatus.Draft)) ? invoice : null;

    static async Task<IResult> PageAsync(InvoicePages pages, string? customerId, string id, CancellationToken ct) =>
        await pages.RenderAsync(customerId, id, ct) is { } html
            ? Results.Content(html, "text/html; charset=utf-8")
            : ApiError.NotFound("invoice", id).ToProblem();

    static async Task<IResult> PdfAsync(InvoicePages pages, InvoicePdf pdf, string? customerId, string id, CancellationToken ct)
    {
        if (await pages.RenderAsync(customerId, id, ct) is not { } html) return ApiError.NotFound("invoice", id).ToProblem();
        if (await pdf.PrintAsync(html, ct) is not { } document)
        {
            return new ApiError("pdf_unavailable", StatusCodes.Status503ServiceUnavailable,
                $"This server has no Chromium at {pages.Options.ChromiumPath} to print PDFs with; the invoice's page is at its /html.").ToProblem();
        }

        return Results.File(document, "application/pdf", $"{id}.pdf");
    }

    static async Task<Results<Ok<Page<Invoice>>, ProblemHttpResult>> List(
        InvoiceStore store, [FromQuery(Name = "customer_id")] string? customerId, [FromQuery(Name = "subscription_id")] string? subscriptionId,
        InvoiceStatus? status, int? limit, string? cursor, CancellationToken ct)
    {
        var page = new PageRequest(limit, cursor);
        return page.Check() is { } invalid ? invalid.ToProblem() : TypedResults.Ok(await store.ListAsync(customerId, subscriptionId, status, page, finalizedOnly: false, ct));
    }

    static async Task<Results<Ok<Invoice>, ProblemHttpResult>> Get(InvoiceStore store, string id, CancellationToken ct) =>
        await store.GetAsync(id, ct) is { } invoice ? TypedResults.Ok(invoice) : ApiError.NotFound("invoice", id).ToProblem();

    static async Task<Results<Ok<Invoice>, ProblemHttpResult>> Change(Task<Result<Invoice>> change) => (await change).ToOk();

}
