using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Tollgate.Analytics.Currencies;
using Tollgate.Common;

namespace Tollgate.Analytics.Mrr;

/// <summary>A day's count or amount, for the series per day.</summary>
public sealed record DailyValue(DateOnly Date, long Value);

/// <summary>
/// <c>GET /api/v1/analytics/metrics</c>: one currency's rates over a window, amounts in its minor units; or, with
/// <c>currency=all</c>, every currency's in the reporting currency, each converted at the rate in force at
/// <see cref="RatesAt"/> (the window's last instant), the currencies named in <see cref="ConvertedFrom"/>.
/// </summary>
public sealed record MetricsView(
    string Currency, DateTimeOffset From, DateTimeOffset To,
    long MrrStart, long MrrEnd, long Arr, int CustomersStart, int CustomersEnd, int ChurnedCustomers,
    decimal? CustomerChurnRate, decimal? GrossMrrChurnRate, decimal? NetMrrChurnRate, decimal? GrossRevenueRetention, decimal? NetRevenueRetention,
    long? Arpa, long? Ltv, decimal? LtvMonthlyChurnRate, string LtvBasis, decimal? QuickRatio, MrrMovementTotals Movements,
    long Signups, long Revenue, IReadOnlyList<DailyValue> SignupsPerDay, IReadOnlyList<DailyValue> RevenuePerDay,
    int TrialsEnded, int TrialsConverted, decimal? TrialToPaidConversion, int FreeCustomersStart, int FreeConverted, decimal? FreeToPaidConversion,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? ConvertedFrom = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? RatesAt = null);

/// <summary>The rates of a window (<see cref="MrrMetrics"/>), LTV over the trailing months, and signups and revenue per day.</summary>
public sealed class MetricsReport(MrrStore store, IOptions<AnalyticsOptions> options)
{
    public async Task<MetricsView> BuildAsync(string currency, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        // One read of the MRR standing and one of the movements serve the window and every trailing month.
        var earliest = Earliest(from, to);
        var standing = await store.MrrByCustomerAsync(currency, earliest, ct);
        var all = await store.AllMovementsAsync(currency, earliest, to, ct);
        var payments = await store.PaymentsAsync(currency, from, to, ct);
        return await ViewAsync(currency, standing, all, [.. payments.Select(p => (p.PaidAt, p.Amount))], currency, from, to, ct);
    }

    /// <summary>
    /// The rates of every currency together in <paramref name="reporting"/>: each customer's MRR in all its currencies
    /// as one figure (<see cref="MergedMovements"/>), each currency and each payment converted at the rate in force at
    /// the window's last instant; a 400 naming the currency when a rate is missing.
    /// </summary>
    public async Task<Result<MetricsView>> BuildConvertedAsync(
        string reporting, IReadOnlyList<ExchangeRate> rates, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        var earliest = Earliest(from, to);
        var standings = await store.StandingsAsync(earliest, ct);
        var all = await store.AllMovementsAsync(null, earliest, to, ct);
        var payments = await store.PaymentsAsync(null, from, to, ct);
        var at = to.AddTicks(-1);
        var currencies = standings.Select(s => s.Currency).Concat(all.Select(m => m.Currency)).Concat(payments.Select(p => p.Currency))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var rateOf = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var currency in currencies)
        {
            var rate = ExchangeRates.RateInto(rates, currency, reporting, at);
            if (!rate.IsOk) return rate.Error;
            rateOf[currency] = rate.Value;
        }

        long Convert(string currency, long minor) => ExchangeRates.Convert(minor, currency, reporting, rateOf[currency]);
        var merged = MergedMovements.Of(standings, all, reporting, Convert);
        var view = await ViewAsync(reporting, merged.Start, merged.Movements, [.. payments.Select(p => (p.PaidAt, Convert(p.Currency, p.Amount)))], null, from, to, ct);
        return view with { ConvertedFrom = currencies, RatesAt = at };
    }

    DateTimeOffset Earliest(DateTimeOffset from, DateTimeOffset to)
    {
        var trailing = to.AddMonths(-options.Value.LtvTrailingMonths);
        return from < trailing ? from : trailing;
    }

    /// <param name="freeCurrency">The currency in which free customers count as paying and converting; any when null.</param>
    async Task<MetricsView> ViewAsync(
        string currency, IReadOnlyDictionary<string, long> standing, IReadOnlyList<MrrMovement> all, IReadOnlyList<(DateTimeOffset At, long Amount)> payments,
        string? freeCurrency, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        var months = options.Value.LtvTrailingMonths;
        var rates = RatesOf(standing, all, from, to);
        var trailing = Enumerable.Range(0, months).Select(m => RatesOf(standing, all, to.AddMonths(-m - 1), to.AddMonths(-m))).ToList();
        var (ltv, churn, basis) = MrrMetrics.Ltv(rates.Arpa, trailing);

        var movements = all.Where(m => m.At >= from).ToList();
        var signups = await store.SignupsAsync(from, to, ct);
        var (trials, trialsPaid) = await store.TrialsAsync(from, to, ct);
        var (free, freePaid) = await store.FreeAsync(freeCurrency, from, to, ct);
        return new MetricsView(
            currency, from, to, rates.MrrStart, rates.MrrEnd, checked(rates.MrrEnd * 12), rates.CustomersStart, rates.CustomersEnd, rates.ChurnedCustomers,
            rates.CustomerChurnRate, rates.GrossMrrChurnRate, rates.NetMrrChurnRate, rates.GrossRevenueRetention, rates.NetRevenueRetention,
            rates.Arpa, ltv, churn, basis, rates.QuickRatio, Totals(movements),
            signups.Count, payments.Aggregate(0L, (sum, p) => checked(sum + p.Amount)),
            Daily(from, to, signups.Select(s => (s, 1L))), Daily(from, to, payments),
            trials, trialsPaid, Share(trialsPaid, trials), free, freePaid, Share(freePaid, free));
    }

    /// <summary>The rates of <c>[from, to)</c>: the standing at the first movement's read, brought to <paramref name="from"/> by the movements before it.</summary>
    static MrrRates RatesOf(IReadOnlyDictionary<string, long> standing, IReadOnlyList<MrrMovement> all, DateTimeOffset from, DateTimeOffset to)
    {
        var start = new Dictionary<string, long>(standing, StringComparer.Ordinal);
        var window = new List<MrrMovement>();
        foreach (var m in all)
        {
            if (m.At < from) start[m.CustomerId] = m.MrrAfter;
            else if (m.At < to) window.Add(m);
        }

        return MrrMetrics.Of(start, window);
    }

    static decimal? Share(int part, int whole) => whole == 0 ? null : Math.Round((decimal)part / whole, 6);

    static MrrMovementTotals Totals(IReadOnlyList<MrrMovement> movements)
    {
        long Sum(MovementKind kind) => Math.Abs(movements.Where(m => m.Kind == kind).Sum(m => m.Amount));
        return new(Sum(MovementKind.New), Sum(MovementKind.Expansion), Sum(MovementKind.Contraction), Sum(MovementKind.Churn), Sum(MovementKind.Reactivation));
    }

    /// <summary>Every UTC day of the window with its total (zero on a day with none).</summary>
    static IReadOnlyList<DailyValue> Daily(DateTimeOffset from, DateTimeOffset to, IEnumerable<(DateTimeOffset At, long Value)> values)
    {
        var byDay = values.GroupBy(v => DateOnly.FromDateTime(v.At.UtcDateTime)).ToDictionary(g => g.Key, g => g.Sum(v => v.Value));
        var days = new List<DailyValue>();
        for (var day = DateOnly.FromDateTime(from.UtcDateTime); day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc) < to.UtcDateTime; day = day.AddDays(1))
            days.Add(new DailyValue(day, byDay.GetValueOrDefault(day)));
        return days;
    }
}
