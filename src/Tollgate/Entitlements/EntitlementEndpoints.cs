using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.ApiKeys;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Entitlements.Access;

namespace Tollgate.Entitlements;

public static class EntitlementEndpoints
{
    public static RouteGroupBuilder MapEntitlementEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/entitlements/check", Check).RequireScope(Scopes.UsageRead).WithTags("Entitlements")
            .WithSummary("May this customer use this feature, this much more? Allowed or not, why, the limit, used, remaining and when it resets.");
        var customer = api.MapGroup("/customers/{customerId}/entitlements").WithTags("Entitlements");
        customer.MapGet("/", List).RequireCustomerAccess(Scopes.UsageRead)
            .WithSummary("Every feature for one customer: granted or not, limits, this period's usage and what remains.");
        customer.MapPut("/{feature}", PutOverride).RequireAdmin()
            .WithSummary("Override one feature for this customer: on or off, another limit, unlimited, or another enforcement.");
        customer.MapDelete("/{feature}", DeleteOverride).RequireAdmin()
            .WithSummary("Remove this customer's override: the plan decides again.");
        return api;
    }

    static async Task<Results<Ok<EntitlementDecision>, ProblemHttpResult>> Check(
        Caller caller, CustomerAccessCache customers, EntitlementChecker checker, CheckRequest request, CancellationToken ct)
    {
        var v = new Validation();
        if (string.IsNullOrEmpty(request.Feature)) v.Add("feature", "is required: the feature's code.");
        if (request.Quantity is < 0) v.Add("quantity", "must be 0 or more.");
        if (request.Current is < 0) v.Add("current", "must be 0 or more.");
        var named = request.CustomerId ?? request.ExternalCustomerId;
        if (caller.IsAdmin && named is null) v.Add("customer_id", "is required with an admin key: the customer's id or external_customer_id.");
        if (v.Failed) return v.ToError().ToProblem();

        var customer = request.CustomerId is not null ? await customers.GetAsync(request.CustomerId, ct)
            : request.ExternalCustomerId is not null ? await customers.GetByExternalIdAsync(request.ExternalCustomerId, ct)
            : null;
        if (!caller.IsAdmin)
        {
            customer ??= await customers.GetAsync(caller.Key.CustomerId!, ct);
            if (customer is null || customer.CustomerId != caller.Key.CustomerId) return ApiError.NotFound("customer", named ?? "").ToProblem();
        }

        if (customer is null) return ApiError.NotFound("customer", named!).ToProblem();
        var decision = await checker.CheckAsync(customer, request.Feature!, request.Quantity ?? 1, request.Current ?? 0, ct);
        return decision is null ? ApiError.NotFound("feature", request.Feature!).ToProblem() : TypedResults.Ok(decision);
    }

    static async Task<Results<Ok<IReadOnlyList<EntitlementDecision>>, ProblemHttpResult>> List(
        string customerId, CustomerAccessCache customers, EntitlementChecker checker, CancellationToken ct)
    {
        var customer = await customers.GetAsync(customerId, ct);
        if (customer is null || customer.CustomerId != customerId) return ApiError.NotFound("customer", customerId).ToProblem();
        return TypedResults.Ok(await checker.ListAsync(customer, ct));
    }

    static async Task<Results<Ok<EntitlementOverride>, ProblemHttpResult>> PutOverride(
        string customerId, string feature, OverrideRequest request, Caller caller, Customers.CustomerStore customers, CatalogStore catalog,
        OverrideStore overrides, CancellationToken ct)
    {
        if (await customers.GetAsync(customerId, ct) is null) return ApiError.NotFound("customer", customerId).ToProblem();
        if (await catalog.GetFeatureAsync(feature, ct) is not { } found) return ApiError.NotFound("feature", feature).ToProblem();
        if (EntitlementRules.Check(found, request) is { } invalid) return invalid.ToProblem();
        return TypedResults.Ok(await overrides.PutAsync(customerId, found, request, caller.Actor, ct));
    }

    static async Task<Results<Ok<EntitlementOverride>, ProblemHttpResult>> DeleteOverride(
        string customerId, string feature, Caller caller, CatalogStore catalog, OverrideStore overrides, CancellationToken ct)
    {
        if (await catalog.GetFeatureAsync(feature, ct) is not { } found) return ApiError.NotFound("feature", feature).ToProblem();
        var result = await overrides.DeleteAsync(customerId, found, caller.Actor, ct);
        return result.IsOk ? TypedResults.Ok(result.Value) : result.Error.ToProblem();
    }
}
