using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Tollgate.ApiKeys;
using Tollgate.Common;

namespace Tollgate.Billing.CreditNotes;

public static class CreditNoteEndpoints
{
    public static RouteGroupBuilder MapCreditNoteEndpoints(this RouteGroupBuilder api)
    {
        var notes = api.MapGroup("/credit-notes").WithTags("Billing").RequireAdmin();
        notes.MapPost("/", Create)
            .WithSummary("Credit lines of a finalized invoice (or an amount over them), never beyond what is left per line and in total; off what is due first, the rest to the customer's balance.");
        notes.MapGet("/", async (CreditNoteStore store, [FromQuery(Name = "invoice_id")] string? invoiceId, [FromQuery(Name = "customer_id")] string? customerId, CancellationToken ct) =>
            TypedResults.Ok(await store.ListAsync(invoiceId, customerId, ct))).WithSummary("List credit notes, by invoice or customer.");
        return api;
    }

    static async Task<Results<Created<CreditNote>, ProblemHttpResult>> Create(Caller caller, CreditNoteStore store, CreateCreditNoteRequest request, CancellationToken ct) =>
        (await store.CreateAsync(request, caller.Actor, ct)).ToCreated(n => $"/api/v1/credit-notes/{n.Id}");
}
