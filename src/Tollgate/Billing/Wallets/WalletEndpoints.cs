using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.ApiKeys;
using Tollgate.Common;

namespace Tollgate.Billing.Wallets;

public static class WalletEndpoints
{
    public static RouteGroupBuilder MapWalletEndpoints(this RouteGroupBuilder api)
    {
        var wallets = api.MapGroup("/customers/{customerId}/wallets").WithTags("Billing");
        wallets.MapPost("/", Create).RequireAdmin()
            .WithSummary("Give a customer a wallet of prepaid credit, credited at once; invoices use it after tax, by priority then expiry.");
        wallets.MapGet("/", async (string customerId, WalletStore store, CancellationToken ct) => TypedResults.Ok(await store.ListAsync(customerId, ct)))
            .RequireCustomerAccess(Scopes.CustomerRead).WithSummary("A customer's wallets with their balances and history.");
        wallets.MapPost("/{walletId}/top-up", TopUp).RequireAdmin().WithSummary("Add credit to a wallet, granted or paid for.");
        return api;
    }

    static async Task<Results<Created<Wallet>, ProblemHttpResult>> Create(Caller caller, WalletStore store, string customerId, CreateWalletRequest request, CancellationToken ct) =>
        (await store.CreateAsync(customerId, request, caller.Actor, ct)).ToCreated(w => $"/api/v1/customers/{customerId}/wallets/{w.Id}");

    static async Task<Results<Ok<Wallet>, ProblemHttpResult>> TopUp(
        Caller caller, WalletStore store, string customerId, string walletId, TopUpRequest request, CancellationToken ct) =>
        (await store.TopUpAsync(customerId, walletId, request, caller.Actor, ct)).ToOk();
}
