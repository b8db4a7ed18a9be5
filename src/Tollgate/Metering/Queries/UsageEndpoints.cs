using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Tollgate.ApiKeys;
using Tollgate.Catalog;
using Tollgate.Common;

namespace Tollgate.Metering.Queries;

public static class UsageEndpoints
{
    public static RouteGroupBuilder MapUsageEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/usage", Query).RequireScope(Scopes.UsageRead).WithTags("Metering")
            .WithSummary("A metric over any window: filtered by properties, grouped by properties, customer or time; JSON or CSV (format=csv).");
        api.MapGet("/customers/{customerId}/usage", Current).RequireCustomerAccess(Scopes.UsageRead).WithTags("Metering")
            .WithSummary("Every metric's value for one customer in the current period, from the stored events, as of now.");
        api.MapGet("/usage/reconciliation", Reconcile).RequireAdmin().WithTags("Metering")
            .WithSummary("Gateway usage records against the events billing reads, per customer, for a window: totals and any record or event without its pair.");
        return api;
    }

    static async Task<Results<Ok<ReconciliationReport>, ProblemHttpResult>> Reconcile(
        Reconciliation reconciliation, TimeProvider time, DateTimeOffset? from, DateTimeOffset? to, [FromQuery(Name = "customer_id")] string? customerId,
        CancellationToken ct)
    {
        var window = UsageParameters.Window(from, to, time.GetUtcNow());
        if (!window.IsOk) return window.Error.ToProblem();
        return TypedResults.Ok(await reconciliation.RunAsync(window.Value, customerId, ct));
    }

    static async Task<IResult> Query(
        HttpContext http, Caller caller, CatalogStore catalog, UsageAggregator aggregator, TimeProvider time,
        string? metric, [FromQuery(Name = "customer_id")] string? customerId, DateTimeOffset? from, DateTimeOffset? to,
        [FromQuery(Name = "group_by")] string? groupBy, string? interval, string? format, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(metric)) return ApiError.Invalid("metric", "is required: the code of the metric to add up.").ToProblem();
        if (format is not (null or "json" or "csv")) return ApiError.Invalid("format", "must be json or csv.").ToProblem();
        var filters = UsageParameters.Filters(http.Request.Query);
        var groups = UsageParameters.GroupBy(groupBy);
        var bucket = UsageParameters.Interval(interval);
        var window = UsageParameters.Window(from, to, time.GetUtcNow());
        if ((filters.Error ?? groups.Error ?? bucket.Error ?? window.Error) is { } invalid) return invalid.ToProblem();
        var scope = caller.ReadsFor(customerId);
        if (!scope.IsOk) return scope.Error.ToProblem();
        customerId = scope.Value;

        if (await catalog.GetMetricAsync(metric, ct) is not { } found) return ApiError.NotFound("metric", metric).ToProblem();
        var query = new UsageQuery(found, customerId, window.Value, filters.Value, groups.Value, bucket.Value);
        var rows = await aggregator.QueryAsync(query, ct);
        if (!rows.IsOk) return rows.Error.ToProblem();
        if (format == "csv")
        {
            var name = $"{found.Code}-{window.Value.Start:yyyyMMdd}-{window.Value.End:yyyyMMdd}.csv";
            http.Response.Headers.ContentDisposition = $"attachment; filename=\"{name}\"";
            return TypedResults.Text(UsageCsv.Write(query.GroupBy, query.Interval is not null, rows.Value), "text/csv; charset=utf-8");
        }

        // Ungrouped, the one row is the total; grouped, the total is asked for apart (unique counts do not add up).
        var grouped = query.GroupBy.Count > 0 || query.Interval is not null;
        var total = grouped ? await aggregator.TotalAsync(query, ct) : rows.Value.FirstOrDefault()?.Value ?? UsageAggregator.Empty(found);
        return TypedResults.Ok(new UsageAnswer(
            found.Code, found.Aggregation, customerId, window.Value.Start, window.Value.End, query.Filters, query.GroupBy, query.Interval, total,
            grouped ? rows.Value.Select(r => new UsageAnswerRow(Group(query.GroupBy, r.Group), r.Start, r.Value)).ToList() : []));
    }

    static async Task<Results<Ok<CustomerUsage>, ProblemHttpResult>> Current(
        string customerId, CatalogStore catalog, UsageAggregator aggregator, Customers.CustomerStore customers, TimeProvider time,
        string? period, CancellationToken ct)
    {
        if (!Enum.TryParse<ResetPeriod>(period ?? "month", ignoreCase: true, out var reset) || period is not (null or "day" or "week" or "month" or "year"))
        {
            return ApiError.Invalid("period", "must be day, week, month or year.").ToProblem();
        }

        if (await customers.GetAsync(customerId, ct) is null) return ApiError.NotFound("customer", customerId).ToProblem();
        var window = Periods.Containing(reset, time.GetUtcNow());
        var metrics = new List<MetricUsage>();
        foreach (var metric in await catalog.ListMetricsAsync(ct))
        {
            var total = await aggregator.TotalAsync(UsageQuery.Total(metric, customerId, window), ct);
            metrics.Add(new MetricUsage(metric.Code, metric.Name, metric.Aggregation, total));
        }

        return TypedResults.Ok(new CustomerUsage(customerId, window.Start, window.End, metrics));
    }

    static Dictionary<string, string?> Group(IReadOnlyList<string> names, IReadOnlyList<string?> values)
    {
        var group = new Dictionary<string, string?>(names.Count, StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++) group[names[i]] = values[i];
        return group;
    }
}
