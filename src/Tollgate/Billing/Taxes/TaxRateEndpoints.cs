using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.ApiKeys;
using Tollgate.Catalog;
using Tollgate.Common;

namespace Tollgate.Billing.Taxes;

public static class TaxRateEndpoints
{
    public static RouteGroupBuilder MapTaxRateEndpoints(this RouteGroupBuilder api)
    {
        var rates = api.MapGroup("/tax-rates").WithTags("Billing").RequireAdmin();
        rates.MapPost("/", Create).WithSummary("Add a tax rate for customers of a country, or of one region of it (GST as CGST + SGST in the operator's state, IGST elsewhere).");
        rates.MapGet("/", async (TaxRateStore store, CancellationToken ct) => TypedResults.Ok(await store.ListAsync(ct))).WithSummary("The tax rates in force.");
        rates.MapDelete("/{id}", Archive).WithSummary("Archive a tax rate: new invoices no longer carry it; those that did keep it.");
        return api;
    }

    static async Task<Results<Created<TaxRate>, ProblemHttpResult>> Create(Caller caller, TaxRateStore store, TaxRateSpec request, CancellationToken ct) =>
        (await store.CreateAsync(request, caller.Actor, ct)).ToCreated(r => $"/api/v1/tax-rates/{r.Id}");

    static async Task<Results<Ok<TaxRate>, ProblemHttpResult>> Archive(Caller caller, TaxRateStore store, string id, CancellationToken ct) =>
        (await store.ArchiveAsync(id, caller.Actor, ct)).ToOk();
}
