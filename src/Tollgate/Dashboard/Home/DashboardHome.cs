using Dapper;
using Microsoft.Extensions.Options;
using Tollgate.Alerts;
using Tollgate.Analytics;
using Tollgate.Analytics.Currencies;
using Tollgate.Analytics.Customers;
using Tollgate.Analytics.Goals;
using Tollgate.Analytics.Mrr;
using Tollgate.Storage;

namespace Tollgate.Dashboard.Home;

/// <summary>Gathers the home page from the analytics reports, so it shows the figures the API gives, never its own.</summary>
public sealed class DashboardHome(
    MrrProjector projector, MrrStore mrr, MrrReport report, ConvertedMrrReport converted, MetricsReport metrics, ExchangeRates rates,
    GoalReport goals, NearLimits near, AlertStore alerts, Database database, IOptions<AnalyticsOptions> options, TimeProvider time)
{
    public async Task<HomeModel> BuildAsync(string? currency, CancellationToken ct)
    {
        await projector.CatchUpAsync(ct);
        // Up to and including this instant: what happened at it (a subscription just made) is in the figures.
        var now = time.GetUtcNow().AddTicks(1);
        var thisMonth = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var (from, to) = (thisMonth.AddMonths(-11), thisMonth.AddMonths(1));
        var currencies = await mrr.CurrenciesAsync(ct);
        var reporting = options.Value.ReportingCurrency.ToUpperInvariant();
        var asked = Common.Currencies.Normalize(currency);
        string? notice = null;

        IReadOnlyList<MonthFigures>? months = null;
        MetricsView? month = null;
        if (asked is null && currencies.Count > 1)
        {
            var known = await rates.ListAsync(ct);
            var all = await converted.BuildAsync(reporting, known, from, to, ReportInterval.Month, ct);
            var rated = await metrics.BuildConvertedAsync(reporting, known, thisMonth, now, ct);
            if (all.IsOk && rated.IsOk)
            {
                months = [.. all.Value.Data.Select(p => new MonthFigures(p.Start, p.Mrr, p.Customers, p.Movements))];
                month = rated.Value;
                asked = reporting;
            }
            else
            {
                notice = $"{(all.IsOk ? rated.Error! : all.Error!).Message} Until then, one currency at a time.";
            }
        }

        var chosen = asked ?? (currencies.Contains(reporting) ? reporting : currencies.FirstOrDefault() ?? reporting);
        if (months is null)
        {
            var single = await report.BuildAsync(chosen, from, to, ReportInterval.Month, ct);
            months = [.. single.Data.Select(p => new MonthFigures(p.Start, p.Mrr, p.Customers, p.Movements))];
            month = await metrics.BuildAsync(chosen, thisMonth, now, ct);
        }

        return new HomeModel(
            chosen, month!.ConvertedFrom is not null, currencies, notice, months, month,
            await goals.StatusAsync(ct), month.SignupsPerDay.LastOrDefault()?.Value ?? 0, month.RevenuePerDay.LastOrDefault()?.Value ?? 0,
            await FailedPaymentsAsync(now.Date, ct), [.. (await near.ListAsync(80, null, ct)).Take(10)], await alerts.ListAsync(null, 8, ct));
    }

    async Task<int> FailedPaymentsAsync(DateTime today, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var since = new DateTimeOffset(today, TimeSpan.Zero);
        return checked((int)await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM payments WHERE status = 'failed' AND created_at >= @since", new { since }));
    }
}
