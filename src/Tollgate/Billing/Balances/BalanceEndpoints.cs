using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.ApiKeys;
using Tollgate.Common;

namespace Tollgate.Billing.Balances;

public static class BalanceEndpoints
{
    public static RouteGroupBuilder MapBalanceEndpoints(this RouteGroupBuilder api)
    {
        var balance = api.MapGroup("/customers/{customerId}/balance").WithTags("Billing").RequireCustomerAccess(Scopes.CustomerRead);
        balance.MapGet("/", Summary)
            .WithSummary("A customer's credit balance per currency (credits for unused time, less what invoices used after tax).");
        balance.MapGet("/transactions", Transactions)
            .WithSummary("A customer's balance transactions, newest first: credits positive, uses by invoices negative.");
        return api;
    }

    static async Task<Results<Ok<CustomerBalanceSummary>, ProblemHttpResult>> Summary(BalanceStore store, string customerId, CancellationToken ct) =>
        await store.SummaryAsync(customerId, ct) is { } summary ? TypedResults.Ok(summary) : ApiError.NotFound("customer", customerId).ToProblem();

    static async Task<Results<Ok<Page<BalanceTransaction>>, ProblemHttpResult>> Transactions(
        BalanceStore store, string customerId, int? limit, string? cursor, CancellationToken ct)
    {
        var page = new PageRequest(limit, cursor);
        if (page.Check() is { } invalid) return invalid.ToProblem();
        return await store.TransactionsAsync(customerId, page, ct) is { } listed ? TypedResults.Ok(listed) : ApiError.NotFound("customer", customerId).ToProblem();
    }
}
