using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.ApiKeys;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Customers;
using Tollgate.Entitlements.Access;

namespace Tollgate.Entitlements.Grants;

public static class GrantEndpoints
{
    public static RouteGroupBuilder MapGrantEndpoints(this RouteGroupBuilder api)
    {
        var grants = api.MapGroup("/customers/{customerId}/grants").WithTags("Entitlements");
        grants.MapPost("/", Create).RequireAdmin()
            .WithSummary("Grant a customer extra units of a quota, or record a top-up they bought: usable beyond the plan's allowance until they expire. A reference (a payment's id) stores it once.");
        grants.MapGet("/", List).RequireCustomerAccess(Scopes.UsageRead)
            .WithSummary("A customer's grants and top-ups, with what each has given and has left now.");
        grants.MapDelete("/{grantId}", Void).RequireAdmin()
            .WithSummary("Void a grant: what is left of it can no longer be used; what it gave stays given.");
        return api;
    }

    static async Task<Results<Created<GrantView>, Ok<GrantView>, ProblemHttpResult>> Create(
        string customerId, GrantRequest request, Caller caller, CustomerStore customers, CatalogStore catalog, GrantStore store,
        CustomerAccessCache access, GrantBalances balances, TimeProvider time, CancellationToken ct)
    {
        if (await customers.GetAsync(customerId, ct) is null) return ApiError.NotFound("customer", customerId).ToProblem();
        var feature = string.IsNullOrEmpty(request.Feature) ? null : await catalog.GetFeatureAsync(request.Feature, ct);
        var metric = feature?.Metric is { } code ? await catalog.GetMetricAsync(code, ct) : null;
        var now = time.GetUtcNow();
        var grant = GrantRules.Validate(request, customerId, feature, metric, Ids.New(Ids.Grant, time), now);
        if (!grant.IsOk) return grant.Error.ToProblem();

        var stored = await store.CreateAsync(grant.Value, caller.Actor, ct);
        if (!stored.IsOk) return stored.Error.ToProblem();
        var view = await ViewAsync(customerId, stored.Value.Grant, access, balances, time, ct);
        return stored.Value.Created ? TypedResults.Created($"/api/v1/customers/{customerId}/grants/{view.Id}", view) : TypedResults.Ok(view);
    }

    static async Task<Results<Ok<GrantList>, ProblemHttpResult>> List(
        string customerId, string? feature, CustomerAccessCache access, GrantStore store, GrantBalances balances, TimeProvider time, CancellationToken ct)
    {
        var customer = await access.GetAsync(customerId, ct);
        if (customer is null || customer.CustomerId != customerId) return ApiError.NotFound("customer", customerId).ToProblem();
        var now = time.GetUtcNow();
        var views = new List<GrantView>();
        foreach (var group in (await store.ListAsync(customerId, ct)).Where(g => feature is null || g.Feature == feature).GroupBy(g => g.Feature))
        {
            var entitlement = customer.Entitlements.Features.GetValueOrDefault(group.Key);
            views.AddRange(await balances.ViewAsync(customerId, [.. group], entitlement, now, ct));
        }

        return TypedResults.Ok(new GrantList([.. views.OrderBy(v => v.CreatedAt).ThenBy(v => v.Id, StringComparer.Ordinal)]));
    }

    static async Task<Results<Ok<GrantView>, ProblemHttpResult>> Void(
        string customerId, string grantId, Caller caller, GrantStore store, CustomerAccessCache access, GrantBalances balances, TimeProvider time, CancellationToken ct)
    {
        var voided = await store.VoidAsync(customerId, grantId, caller.Actor, ct);
        if (!voided.IsOk) return voided.Error.ToProblem();
        return TypedResults.Ok(await ViewAsync(customerId, voided.Value, access, balances, time, ct));
    }

    /// <summary>One grant as it stands, drawn alongside the customer's other grants of its feature.</summary>
    static async Task<GrantView> ViewAsync(string customerId, Grant grant, CustomerAccessCache access, GrantBalances balances, TimeProvider time, CancellationToken ct)
    {
        var entitlement = (await access.GetAsync(customerId, ct))?.Entitlements.Features.GetValueOrDefault(grant.Feature);
        var siblings = entitlement?.Grants.Where(g => g.Id != grant.Id).Append(grant).ToList() ?? [grant];
        var views = await balances.ViewAsync(customerId, siblings, entitlement, time.GetUtcNow(), ct);
        return views.Single(v => v.Id == grant.Id);
    }
}
