using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.ApiKeys;
using Tollgate.Common;

namespace Tollgate.Billing.Rating;

public static class PricingEndpoints
{
    public static RouteGroupBuilder MapPricingEndpoints(this RouteGroupBuilder api)
    {
        var pricing = api.MapGroup("/pricing").WithTags("Billing").RequireAdminRead();
        pricing.MapPost("/quote", Quote)
            .WithSummary("Price a quantity under a charge written as in a catalog file; stores nothing (for pricing pages and estimators).");
        return api;
    }

    static Results<Ok<Quote>, ProblemHttpResult> Quote(QuoteRequest request) => PriceQuote.For(request).ToOk();
}
