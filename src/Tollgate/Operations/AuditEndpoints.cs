using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.ApiKeys;
using Tollgate.Audit;
using Tollgate.Common;

namespace Tollgate.Operations;

/// <summary>
/// <c>GET /audit-log</c>: the audit trail's read side, an operator endpoint. Kept apart from <see cref="AuditLog"/>, which
/// every feature writes to in its own transactions (API keys among them), so the writer depends on no feature.
/// </summary>
public static class AuditEndpoints
{
    public static RouteGroupBuilder MapAuditEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/audit-log", List).WithTags("Audit log").RequireAdmin()
            .WithSummary("Every admin change, newest first: who, when, what, before and after.");
        return api;
    }

    static async Task<Results<Ok<Page<AuditEntry>>, ProblemHttpResult>> List(
        AuditLog log,
        [FromQuery(Name = "resource_id")] string? resourceId,
        [FromQuery(Name = "resource_type")] string? resourceType,
        [FromQuery(Name = "actor_id")] string? actorId,
        string? action,
        [FromQuery(Name = "customer_id")] string? customerId,
        int? limit, string? cursor, CancellationToken ct)
    {
        var page = new PageRequest(limit, cursor);
        if (page.Check() is { } invalid) return invalid.ToProblem();
        return TypedResults.Ok(await log.ListAsync(new AuditQuery(resourceId, resourceType, actorId, action, customerId), page, ct));
    }
}
