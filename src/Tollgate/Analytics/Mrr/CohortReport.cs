using Tollgate.Analytics.Currencies;
using Tollgate.Common;

namespace Tollgate.Analytics.Mrr;

/// <summary>
/// <c>GET /api/v1/analytics/cohorts</c>: one currency's cohorts, or every currency's in the reporting currency, each
/// customer once (its first paid month in any currency) and its MRR in all of them converted at the rates in force
/// at the report's last instant (<see cref="MergedMovements"/>).
/// </summary>
public sealed class CohortReport(MrrStore store)
{
    /// <summary>The earliest movement a cohort report reads.</summary>
    public static readonly DateTimeOffset Earliest = new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public async Task<CohortReportView> BuildAsync(string currency, DateTimeOffset? from, DateTimeOffset until, CancellationToken ct) =>
        View(currency, Cohorts.Of(await store.AllMovementsAsync(currency, Earliest, until, ct), until), from);

    public async Task<Result<CohortReportView>> BuildConvertedAsync(
        string reporting, IReadOnlyList<ExchangeRate> rates, DateTimeOffset? from, DateTimeOffset until, CancellationToken ct)
    {
        var all = await store.AllMovementsAsync(null, Earliest, until, ct);
        var at = until.AddTicks(-1);
        var rateOf = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var currency in all.Select(m => m.Currency).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var rate = ExchangeRates.RateInto(rates, currency, reporting, at);
            if (!rate.IsOk) return rate.Error;
            rateOf[currency] = rate.Value;
        }

        var merged = MergedMovements.Of([], all, reporting, (currency, minor) => ExchangeRates.Convert(minor, currency, reporting, rateOf[currency]));
        return View(reporting, Cohorts.Of(merged.Movements, until), from) with { ConvertedFrom = [.. rateOf.Keys], RatesAt = at };
    }

    static CohortReportView View(string currency, IReadOnlyList<Cohort> all, DateTimeOffset? from)
    {
        var first = from?.UtcDateTime.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);
        return new CohortReportView(currency, [.. all.Where(c => first is null || string.CompareOrdinal(c.Month, first) >= 0)]);
    }
}
