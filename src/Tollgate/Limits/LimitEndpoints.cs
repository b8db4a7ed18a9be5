using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.ApiKeys;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Customers;
using Tollgate.Entitlements.Access;

namespace Tollgate.Limits;

public static class LimitEndpoints
{
    public static RouteGroupBuilder MapLimitEndpoints(this RouteGroupBuilder api)
    {
        var limits = api.MapGroup("/limits").WithTags("Limits").RequireAdmin();
        limits.MapGet("/", List).WithSummary("List rate limits and budgets, optionally only those set on one plan, customer or key.");
        limits.MapPost("/", Create).WithSummary("Set a rate limit (requests or tokens per window, requests at once) or a budget (spend per period) on a plan, a customer or a key.");
        limits.MapGet("/{id}", Get).WithSummary("Get one limit.");
        limits.MapPut("/{id}", Replace).WithSummary("Replace a limit's definition; it applies to the next request on every node.");
        limits.MapDelete("/{id}", Delete).WithSummary("Remove a limit.");
        api.MapGet("/customers/{customerId}/limits", Status).WithTags("Limits").RequireCustomerAccess(Scopes.UsageRead)
            .WithSummary("The rate limits and budgets a customer falls under, with this period's usage, what remains and when it resets.");
        return api;
    }

    static async Task<Ok<LimitList>> List(LimitStore store, LimitScope? scope, string? target, CancellationToken ct)
    {
        var all = await store.ListAsync(ct);
        return TypedResults.Ok(new LimitList([.. all.Where(l => (scope is null || l.Scope == scope) && (target is null || l.Target == target))]));
    }

    static async Task<Results<Created<Limit>, ProblemHttpResult>> Create(
        Caller caller, LimitStore store, LimitRequest request, PlanStore plans, CustomerStore customers, ApiKeyStore keys, CancellationToken ct)
    {
        var spec = LimitRules.Validate(request);
        if (!spec.IsOk) return spec.Error.ToProblem();
        if (await TargetMissing(spec.Value, plans, customers, keys, ct) is { } missing) return missing.ToProblem();
        var limit = await store.CreateAsync(spec.Value, caller.Actor, ct);
        return TypedResults.Created($"/api/v1/limits/{limit.Id}", limit);
    }

    static async Task<Results<Ok<Limit>, ProblemHttpResult>> Get(LimitStore store, string id, CancellationToken ct) =>
        await store.GetAsync(id, ct) is { } limit ? TypedResults.Ok(limit) : ApiError.NotFound("limit", id).ToProblem();

    static async Task<Results<Ok<Limit>, ProblemHttpResult>> Replace(
        Caller caller, LimitStore store, string id, LimitRequest request, PlanStore plans, CustomerStore customers, ApiKeyStore keys, CancellationToken ct)
    {
        var spec = LimitRules.Validate(request);
        if (!spec.IsOk) return spec.Error.ToProblem();
        if (await TargetMissing(spec.Value, plans, customers, keys, ct) is { } missing) return missing.ToProblem();
        return (await store.ReplaceAsync(id, spec.Value, caller.Actor, ct)).ToOk();
    }

    static async Task<Results<Ok<Limit>, ProblemHttpResult>> Delete(Caller caller, LimitStore store, string id, CancellationToken ct) =>
        (await store.DeleteAsync(id, caller.Actor, ct)).ToOk();

    static async Task<Results<Ok<LimitStatusList>, ProblemHttpResult>> Status(
        string customerId, CustomerAccessCache customers, LimitBook book, LimitUsage usage, TimeProvider time, CancellationToken ct)
    {
        var customer = await customers.GetAsync(customerId, ct);
        if (customer is null || customer.CustomerId != customerId) return ApiError.NotFound("customer", customerId).ToProblem();
        var now = time.GetUtcNow();
        var statuses = new List<LimitStatus>();
        foreach (var limit in await book.ForAsync(customer.Plan, customer.CustomerId, null))
        {
            if (limit.Per != LimitPer.Customer || limit.Measure == LimitMeasure.Concurrent)
            {
                statuses.Add(new LimitStatus(limit, null, null, null));
                continue;
            }

            var period = LimitRules.PeriodOf(limit, now, customer.BillingAnchor);
            var used = await usage.UsedAsync(limit.Measure, LimitSubject.Of(limit, customer.CustomerId, null, null)!, period, ct);
            statuses.Add(new LimitStatus(limit, used, Math.Max(0, limit.Amount - used), period.End));
        }

        return TypedResults.Ok(new LimitStatusList(statuses));
    }

    static async Task<ApiError?> TargetMissing(LimitSpec spec, PlanStore plans, CustomerStore customers, ApiKeyStore keys, CancellationToken ct)
    {
        var exists = spec.Scope switch
        {
            LimitScope.Plan => await plans.GetAsync(spec.Target, ct) is not null,
            LimitScope.Customer => await customers.GetAsync(spec.Target, ct) is not null,
            _ => await keys.GetAsync(spec.Target, ct) is not null,
        };
        return exists ? null : ApiError.Invalid("target", $"No {spec.Scope.ToString().ToLowerInvariant()} '{spec.Target}' exists.");
    }
}

public sealed record LimitList(IReadOnlyList<Limit> Data);

public sealed record LimitStatusList(IReadOnlyList<LimitStatus> Data);
