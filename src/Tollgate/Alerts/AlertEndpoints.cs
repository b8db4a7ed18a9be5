using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.ApiKeys;
using Tollgate.Common;

namespace Tollgate.Alerts;

public static class AlertEndpoints
{
    public static RouteGroupBuilder MapAlertEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/alerts", List).WithTags("Alerts").RequireScope(Scopes.UsageRead)
            .WithSummary("Thresholds reached (quota, limit and budget), newest first; each is raised once per period and also sent to webhooks.");
        return api;
    }

    static async Task<Results<Ok<AlertList>, ProblemHttpResult>> List(
        Caller caller, AlertStore alerts, [Microsoft.AspNetCore.Mvc.FromQuery(Name = "customer_id")] string? customerId, int? limit, CancellationToken ct)
    {
        if (limit is < 1 or > 500) return ApiError.Invalid("limit", "must be between 1 and 500.").ToProblem();
        var readsFor = caller.ReadsFor(customerId);
        if (!readsFor.IsOk) return readsFor.Error.ToProblem();
        return TypedResults.Ok(new AlertList(await alerts.ListAsync(readsFor.Value, limit ?? 100, ct)));
    }
}

public sealed record AlertList(IReadOnlyList<Alert> Data);
