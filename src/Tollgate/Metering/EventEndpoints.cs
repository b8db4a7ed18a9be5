using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Tollgate.ApiKeys;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Metering.Queries;

namespace Tollgate.Metering;

public static class EventEndpoints
{
    public static RouteGroupBuilder MapEventEndpoints(this RouteGroupBuilder api)
    {
        var events = api.MapGroup("/events").WithTags("Metering");
        events.MapPost("/", Ingest).RequireScope(Scopes.UsageWrite)
            .WithSummary("Record one usage event, durably, before answering; the same id again is a duplicate, counted once.");
        events.MapPost("/batch", IngestBatch).RequireScope(Scopes.UsageWrite)
            .WithSummary("Record up to 1,000 events; each gets its own verdict: accepted, duplicate or rejected.");
        events.MapGet("/", List).RequireScope(Scopes.UsageRead)
            .WithSummary("The events behind the totals, newest first: by customer, code, metric (its code and filters), property filters and time. Customer keys see their own.");
        return api;
    }

    static async Task<Results<Ok<EventResult>, ProblemHttpResult>> Ingest(Caller caller, EventIngestion ingestion, EventInput request, CancellationToken ct)
    {
        var result = (await ingestion.IngestAsync([request], caller, ct)).Results[0];
        if (result.Error is not { } error) return TypedResults.Ok(result);
        var status = error.Code switch
        {
            "customer_not_found" => StatusCodes.Status404NotFound,
            "customer_mismatch" => StatusCodes.Status403Forbidden,
            "invalid_event" => StatusCodes.Status400BadRequest,
            _ => StatusCodes.Status422UnprocessableEntity,
        };
        return new ApiError(error.Code, status, error.Message).ToProblem();
    }

    static async Task<Results<Ok<BatchResult>, ProblemHttpResult>> IngestBatch(Caller caller, EventIngestion ingestion, EventBatch request, CancellationToken ct)
    {
        if (request.Events is not { Count: > 0 and <= MeteringOptions.MaxBatch } events)
        {
            return ApiError.Invalid("events", $"must hold 1 to {MeteringOptions.MaxBatch} events.").ToProblem();
        }

        return TypedResults.Ok(await ingestion.IngestAsync(events, caller, ct));
    }

    static async Task<Results<Ok<Page<UsageEvent>>, ProblemHttpResult>> List(
        HttpContext http, Caller caller, EventStore store, CatalogStore catalog, [FromQuery(Name = "customer_id")] string? customerId, string? code,
        string? metric, DateTimeOffset? from, DateTimeOffset? to, int? limit, string? cursor, CancellationToken ct)
    {
        var page = new PageRequest(limit, cursor);
        var filters = UsageParameters.Filters(http.Request.Query);
        if ((page.Check() ?? filters.Error) is { } invalid) return invalid.ToProblem();
        var scope = caller.ReadsFor(customerId);
        if (!scope.IsOk) return scope.Error.ToProblem();
        customerId = scope.Value;

        // The events behind a metric's total: its event code, its filters and any given here.
        if (metric is not null)
        {
            if (await catalog.GetMetricAsync(metric, ct) is not { } found) return ApiError.NotFound("metric", metric).ToProblem();
            if (code is not null && code != found.EventCode) return ApiError.Invalid("code", $"metric '{metric}' reads '{found.EventCode}' events.").ToProblem();
            code = found.EventCode;
            foreach (var (name, values) in found.Filters)
            {
                filters.Value[name] = filters.Value.TryGetValue(name, out var asked) ? [.. asked.Intersect(values)] : values;
            }
        }

        return TypedResults.Ok(await store.ListAsync(new EventQuery(customerId, code, from, to, filters.Value), page, ct));
    }
}
