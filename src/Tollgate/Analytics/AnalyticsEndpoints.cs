using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.Analytics.Mrr;
using Tollgate.ApiKeys;
using Tollgate.Common;

namespace Tollgate.Analytics;

public static class AnalyticsEndpoints
{
    public static RouteGroupBuilder MapAnalyticsEndpoints(this RouteGroupBuilder api)
    {
        var analytics = api.MapGroup("/analytics").WithTags("Analytics").RequireAdmin();
        analytics.MapGet("/mrr", Mrr).Produces<MrrReportView>()
            .WithSummary("MRR, ARR and paying customers at the end of each day, week or month, with the movements (new, expansion, contraction, churn, reactivation) in it; JSON or CSV (format=csv).");
        analytics.MapGet("/mrr/movements", Movements).Produces<Page<MrrMovementView>>()
            .WithSummary("The movements behind the MRR report's figures, one per customer and change, oldest first: who, when, what kind, from what MRR to what; JSON or CSV.");
        analytics.MapGet("/exchange-rates", async (Currencies.ExchangeRates rates, Microsoft.Extensions.Options.IOptions<AnalyticsOptions> options, CancellationToken ct) =>
                TypedResults.Ok(new { reporting_currency = options.Value.ReportingCurrency, data = await rates.ListAsync(ct) }))
            .WithSummary("The exchange rates into the reporting currency, each from its date on.");
        analytics.MapPost("/exchange-rates", async (Currencies.ExchangeRates rates, Microsoft.Extensions.Options.IOptions<AnalyticsOptions> options, Currencies.SetExchangeRateRequest request, CancellationToken ct) =>
                (await rates.SetAsync(request, options.Value.ReportingCurrency.ToUpperInvariant(), ct)).ToCreated(r => "/api/v1/analytics/exchange-rates"))
            .WithSummary("Set what one unit of a currency is worth in the reporting currency from a date on (the same date again replaces it).");
        analytics.MapGet("/cohorts", CohortsAsync).Produces<CohortReportView>()
            .WithSummary("Customers by the month of their first paid subscription, with retention by customers and by MRR at the end of each month since; JSON or CSV.");
        analytics.MapGet("/usage", UsageAsync).Produces<Usage.UsageReportView>()
            .WithSummary("The gateway's requests, tokens, model cost, charge and margin, grouped by model, provider, key, end_user, customer and day (group_by, comma-separated); JSON or CSV.");
        analytics.MapGet("/goals", async (HttpContext http, MrrProjector projector, Goals.GoalReport report, string? format, CancellationToken ct) =>
            {
                if (Common.Csv.FormatProblem(format) is { } bad) return bad.ToProblem();
                await projector.CatchUpAsync(ct);
                var goals = await report.StatusAsync(ct);
                if (format != "csv") return Results.Ok(new { data = goals });
                http.Response.Headers.ContentDisposition = "attachment; filename=\"goals.csv\"";
                return Results.Text(Goals.GoalReport.ToCsv(goals), "text/csv; charset=utf-8");
            })
            .WithSummary("Every goal with the metric now, its progress, the trajectory needed, the trailing trend and the forecast by its due date.");
        analytics.MapPost("/goals", async (Goals.GoalStore store, Goals.CreateGoalRequest request, CancellationToken ct) =>
                (await store.CreateAsync(request, ct)).ToCreated(g => $"/api/v1/analytics/goals/{g.Id}"))
            .WithSummary("Set a goal: mrr, arr or paying_customers to reach, or customer_churn_rate to stay under, by a date.");
        analytics.MapDelete("/goals/{id}", async (Goals.GoalStore store, string id, CancellationToken ct) =>
                await store.DeleteAsync(id, ct) ? Results.NoContent() : ApiError.NotFound("goal", id).ToProblem())
            .WithSummary("Delete a goal.");
        analytics.MapGet("/margins", MarginsAsync).Produces<Usage.MarginReportView>()
            .WithSummary("Gross margin per customer or per plan (group_by): revenue collected by paid invoices minus the models' cost, in the reporting currency; JSON or CSV.");
        analytics.MapGet("/near-limits", async (Customers.NearLimits near, int? threshold, [Microsoft.AspNetCore.Mvc.FromQuery(Name = "customer_id")] string? customerId, CancellationToken ct) =>
                threshold is < 1 or > 1000
                    ? ApiError.Invalid("threshold", "is a percent of the limit, from 1 to 1000.").ToProblem()
                    : Results.Ok(new { data = await near.ListAsync(threshold ?? 80, customerId, ct) }))
            .WithSummary("Customers at or past a share (threshold, percent, default 80) of a quota, limit or budget in the current period: who to offer an upgrade.");
        analytics.MapGet("/customers/{id}", CustomerAsync)
            .WithSummary("One customer: its MRR per currency and every movement, its last 30 days of gateway usage with cost, charge and margin, and its health score with each signal's contribution.");
        analytics.MapGet("/metrics", Metrics).Produces<MetricsView>()
            .WithSummary("The rates of a window: customer churn, gross and net MRR churn, GRR, NRR, ARPA, LTV, quick ratio, the movements, signups and revenue per day.");
        return api;
    }

    static async Task<IResult> Metrics(
        MrrProjector projector, MetricsReport report, Currencies.ExchangeRates rates, Microsoft.Extensions.Options.IOptions<AnalyticsOptions> options,
        MrrStore store, TimeProvider time, DateTimeOffset? from, DateTimeOffset? to, string? currency, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var window = Window(from ?? (to is null ? new DateTimeOffset(now.UtcDateTime.Year, now.UtcDateTime.Month, 1, 0, 0, 0, TimeSpan.Zero) : null), to, now);
        if (!window.IsOk) return window.Error.ToProblem();
        if ((window.Value.To - window.Value.From).TotalDays > MostDays) return ApiError.Invalid("from", $"a window of metrics is at most {MostDays} days (their series are per day).").ToProblem();
        await projector.CatchUpAsync(ct);
        if (IsAll(currency))
        {
            var converted = await report.BuildConvertedAsync(options.Value.ReportingCurrency.ToUpperInvariant(), await rates.ListAsync(ct), window.Value.From, window.Value.To, ct);
            return converted.IsOk ? TypedResults.Ok(converted.Value) : converted.Error.ToProblem();
        }

        var chosen = await CurrencyAsync(store, currency, ct);
        if (!chosen.IsOk) return chosen.Error.ToProblem();
        return TypedResults.Ok(await report.BuildAsync(chosen.Value, window.Value.From, window.Value.To, ct));
    }

    static bool IsAll(string? currency) => string.Equals(currency, "all", StringComparison.OrdinalIgnoreCase);

    const int MostDays = 3_660;

    static async Task<IResult> MarginsAsync(
        HttpContext http, Usage.MarginReport report, Currencies.ExchangeRates rates, Microsoft.Extensions.Options.IOptions<AnalyticsOptions> options, TimeProvider time,
        [Microsoft.AspNetCore.Mvc.FromQuery(Name = "group_by")] string? groupBy, DateTimeOffset? from, DateTimeOffset? to, string? format, CancellationToken ct)
    {
        groupBy ??= "customer";
        if (groupBy is not ("customer" or "plan")) return ApiError.Invalid("group_by", "must be customer or plan.").ToProblem();
        if (Common.Csv.FormatProblem(format) is { } bad) return bad.ToProblem();
        var now = time.GetUtcNow();
        var window = Window(from ?? (to is null ? now.AddDays(-30) : null), to, now);
        if (!window.IsOk) return window.Error.ToProblem();
        var built = await report.BuildAsync(groupBy, options.Value.ReportingCurrency.ToUpperInvariant(), await rates.ListAsync(ct), window.Value.From, window.Value.To, ct);
        if (!built.IsOk) return built.Error.ToProblem();
        if (format != "csv") return TypedResults.Ok(built.Value);
        return Csv(http, $"margins-by-{groupBy}", window.Value, built.Value.ToCsv());
    }

    static async Task<Results<Ok<Customers.CustomerAnalyticsView>, ProblemHttpResult>> CustomerAsync(
        MrrProjector projector, Customers.CustomerAnalytics customers, string id, CancellationToken ct)
    {
        await projector.CatchUpAsync(ct);
        return await customers.GetAsync(id, ct) is { } view ? TypedResults.Ok(view) : ApiError.NotFound("customer", id).ToProblem();
    }

    static async Task<IResult> UsageAsync(
        HttpContext http, Usage.UsageReport report, TimeProvider time, [Microsoft.AspNetCore.Mvc.FromQuery(Name = "group_by")] string? groupBy,
        DateTimeOffset? from, DateTimeOffset? to, [Microsoft.AspNetCore.Mvc.FromQuery(Name = "customer_id")] string? customerId, string? format, CancellationToken ct)
    {
        if (Common.Csv.FormatProblem(format) is { } bad) return bad.ToProblem();
        var dimensions = (groupBy ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        if (dimensions.FirstOrDefault(d => !Usage.UsageReport.Dimensions.Contains(d)) is { } unknown)
            return ApiError.Invalid("group_by", $"'{unknown}' is not one of {string.Join(", ", Usage.UsageReport.Dimensions)}.").ToProblem();
        if (dimensions.Count != dimensions.Distinct().Count() || dimensions.Count > 3) return ApiError.Invalid("group_by", "names at most three different dimensions.").ToProblem();
        var now = time.GetUtcNow();
        var window = Window(from ?? (to is null ? now.AddDays(-30) : null), to, now);
        if (!window.IsOk) return window.Error.ToProblem();
        var view = await report.BuildAsync(dimensions, window.Value.From, window.Value.To, customerId, ct);
        return format == "csv" ? Csv(http, "usage", window.Value, view.ToCsv()) : TypedResults.Ok(view);
    }

    static async Task<IResult> CohortsAsync(
        HttpContext http, MrrProjector projector, MrrStore store, CohortReport report, Currencies.ExchangeRates rates, Microsoft.Extensions.Options.IOptions<AnalyticsOptions> options,
        TimeProvider time, DateTimeOffset? from, DateTimeOffset? to, string? currency, string? format, CancellationToken ct)
    {
        if (Common.Csv.FormatProblem(format) is { } bad) return bad.ToProblem();
        var until = to ?? time.GetUtcNow();
        if (until <= Earliest || until > Latest) return ApiError.Invalid("to", "must be from 1970 to 2199.").ToProblem();
        if (from is { } first && first >= until) return ApiError.Invalid("from", "must be before to.").ToProblem();
        await projector.CatchUpAsync(ct);
        CohortReportView view;
        try
        {
            if (IsAll(currency))
            {
                var converted = await report.BuildConvertedAsync(options.Value.ReportingCurrency.ToUpperInvariant(), await rates.ListAsync(ct), from, until, ct);
                if (!converted.IsOk) return converted.Error.ToProblem();
                view = converted.Value;
            }
            else
            {
                var chosen = await CurrencyAsync(store, currency, ct);
                if (!chosen.IsOk) return chosen.Error.ToProblem();
                view = await report.BuildAsync(chosen.Value, from, until, ct);
            }
        }
        catch (ArgumentOutOfRangeException e)
        {
            return ApiError.Invalid("to", e.Message).ToProblem();
        }

        if (format != "csv") return TypedResults.Ok(view);
        return Csv(http, IsAll(currency) ? $"cohorts-all-in-{view.Currency}" : $"cohorts-{view.Currency}", (from ?? until, until), view.ToCsv());
    }

    static async Task<IResult> Mrr(
        HttpContext http, MrrProjector projector, MrrReport report, ConvertedMrrReport convertedReport, Currencies.ExchangeRates rates,
        Microsoft.Extensions.Options.IOptions<AnalyticsOptions> options, MrrStore store, TimeProvider time,
        DateTimeOffset? from, DateTimeOffset? to, string? interval, string? currency, string? format, CancellationToken ct)
    {
        var bucket = interval is null ? ReportInterval.Month : Enum.TryParse<ReportInterval>(interval, ignoreCase: true, out var parsed) && !int.TryParse(interval, out _) ? parsed : (ReportInterval?)null;
        if (bucket is null) return ApiError.Invalid("interval", "must be day, week or month.").ToProblem();
        var window = Window(from, to, time.GetUtcNow());
        if (!window.IsOk) return window.Error.ToProblem();
        if (Common.Csv.FormatProblem(format) is { } bad) return bad.ToProblem();
        var periods = MrrReport.Periods(window.Value.From, window.Value.To, bucket.Value).Count;
        if (periods > MrrReport.MostPeriods) return ApiError.Invalid("from", $"the window holds {periods} periods of a {interval}; at most {MrrReport.MostPeriods}.").ToProblem();

        await projector.CatchUpAsync(ct);
        if (IsAll(currency))
        {
            var reporting = options.Value.ReportingCurrency.ToUpperInvariant();
            var converted = await convertedReport.BuildAsync(reporting, await rates.ListAsync(ct), window.Value.From, window.Value.To, bucket.Value, ct);
            if (!converted.IsOk) return converted.Error.ToProblem();
            return format == "csv" ? Csv(http, $"mrr-all-in-{reporting}", window.Value, converted.Value.ToCsv()) : TypedResults.Ok(converted.Value);
        }

        var chosen = await CurrencyAsync(store, currency, ct);
        if (!chosen.IsOk) return chosen.Error.ToProblem();
        var view = await report.BuildAsync(chosen.Value, window.Value.From, window.Value.To, bucket.Value, ct);
        return format == "csv" ? Csv(http, $"mrr-{chosen.Value}", window.Value, view.ToCsv()) : TypedResults.Ok(view);
    }

    static async Task<IResult> Movements(
        HttpContext http, MrrProjector projector, MrrStore store, TimeProvider time,
        DateTimeOffset? from, DateTimeOffset? to, string? kind, string? currency, int? limit, string? cursor, string? format, CancellationToken ct)
    {
        MovementKind? only = null;
        if (kind is not null)
        {
            if (!Enum.TryParse<MovementKind>(kind, ignoreCase: true, out var k) || int.TryParse(kind, out _))
                return ApiError.Invalid("kind", "must be new, expansion, contraction, churn or reactivation.").ToProblem();
            only = k;
        }

        var window = Window(from, to, time.GetUtcNow());
        if (!window.IsOk) return window.Error.ToProblem();
        if (Common.Csv.FormatProblem(format) is { } bad) return bad.ToProblem();
        var page = new PageRequest(limit, cursor);
        if (format != "csv" && page.Check() is { } invalid) return invalid.ToProblem();

        await projector.CatchUpAsync(ct);
        var chosen = await CurrencyAsync(store, currency, ct);
        if (!chosen.IsOk) return chosen.Error.ToProblem();
        if (format == "csv")
        {
            // Every one of the window: the CSV is the audit of a report's figures.
            var csv = new StringBuilder();
            Common.Csv.Line(csv, ["id", "customer_id", "currency", "at", "kind", "amount", "mrr_before", "mrr_after"]);
            string? after = null;
            while (true)
            {
                var rows = await store.MovementsAsync(chosen.Value, window.Value.From, window.Value.To, only, after, 10_000, ct);
                foreach (var m in rows)
                    Common.Csv.Line(csv, [m.Id, m.CustomerId, m.Currency, Common.Csv.Time(m.At), m.Kind, Common.Csv.Number(m.Amount), Common.Csv.Number(m.MrrBefore), Common.Csv.Number(m.MrrAfter)]);
                if (rows.Count < 10_000) break;
                after = rows[^1].Id;
            }

            return Csv(http, $"mrr-movements-{chosen.Value}", window.Value, csv.ToString());
        }

        var listed = await store.MovementsAsync(chosen.Value, window.Value.From, window.Value.To, only, cursor, page.Size + 1, ct);
        return TypedResults.Ok(Page<MrrMovementView>.From(listed, page.Size, m => m.Id));
    }

    static IResult Csv(HttpContext http, string name, (DateTimeOffset From, DateTimeOffset To) window, string body)
    {
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{name}-{window.From:yyyyMMdd}-{window.To:yyyyMMdd}.csv\"";
        return TypedResults.Text(body, "text/csv; charset=utf-8");
    }

    /// <summary>Reports cover 1970 to 2199: dates far beyond are mistakes, and months counted to them would not fit.</summary>
    static readonly DateTimeOffset Earliest = new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero), Latest = new(2200, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The window asked for; by default the twelve calendar months (UTC) up to now, this one so far included.</summary>
    static Result<(DateTimeOffset From, DateTimeOffset To)> Window(DateTimeOffset? from, DateTimeOffset? to, DateTimeOffset now)
    {
        if (from is { } f && (f < Earliest || f >= Latest)) return ApiError.Invalid("from", "must be from 1970 to 2199.");
        if (to is { } t && (t <= Earliest || t > Latest)) return ApiError.Invalid("to", "must be from 1970 to 2199.");
        var end = to ?? now;
        var start = from ?? new DateTimeOffset(end.UtcDateTime.Year, end.UtcDateTime.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(-11);
        if (start >= end) return ApiError.Invalid("from", "must be before to.");
        return (start.ToUniversalTime(), end.ToUniversalTime());
    }

    /// <summary>
    /// The currency asked for; else the only one there are movements in (USD when there are none); never several
    /// added together: with movements in several currencies, the caller chooses.
    /// </summary>
    static async Task<Result<string>> CurrencyAsync(MrrStore store, string? asked, CancellationToken ct)
    {
        if (asked is not null)
        {
            return Common.Currencies.Normalize(asked) is { } known ? known : ApiError.Invalid("currency", "must be an ISO 4217 code Tollgate knows, or all.");
        }

        var currencies = await store.CurrenciesAsync(ct);
        if (currencies.Count == 1) return currencies[0];
        if (currencies.Count == 0) return "USD";
        return ApiError.Invalid("currency", $"there is MRR in {string.Join(", ", currencies)}: choose one.");
    }
}
