using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.ApiKeys;
using Tollgate.Billing.Invoices;
using Tollgate.Common;

namespace Tollgate.Billing.Dunning;

public static class DunningEndpoints
{
    public static RouteGroupBuilder MapDunningEndpoints(this RouteGroupBuilder api)
    {
        var invoices = api.MapGroup("/invoices").WithTags("Billing").RequireAdmin();
        invoices.MapPost("/{id}/pay", async (Caller caller, DunningService dunning, string id, CancellationToken ct) => (await dunning.PayAsync(id, caller.Actor, ct)).ToOk())
            .WithSummary("Mark an open or uncollectible invoice paid in full, out of band: dunning ends, and a past-due subscription is active again.");
        invoices.MapPost("/{id}/payment-failed", async (Caller caller, DunningService dunning, string id, CancellationToken ct) => (await dunning.PaymentFailedAsync(id, caller.Actor, ct)).ToOk())
            .WithSummary("Record a failed payment of an open invoice: its subscription becomes past due and dunning retries on its schedule.");
        return api;
    }
}
