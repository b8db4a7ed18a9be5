using System.Text;
using Tollgate.Analytics.Currencies;
using Tollgate.Common;

namespace Tollgate.Analytics.Mrr;

public enum ReportInterval
{
    Day,
    Week,
    Month,
}

/// <summary>What moved MRR in one period, each kind as a magnitude: <c>end = start + new + expansion + reactivation − contraction − churn</c>.</summary>
public sealed record MrrMovementTotals(long New, long Expansion, long Contraction, long Churn, long Reactivation);

/// <summary>One period of the MRR report: MRR, ARR (12 × MRR) and paying customers at its end, and what moved it.</summary>
public sealed record MrrPeriod(DateTimeOffset Start, DateTimeOffset End, long Mrr, long Arr, int Customers, MrrMovementTotals Movements);

/// <summary><c>GET /api/v1/analytics/mrr</c>: one currency's MRR by period, in its minor units.</summary>
public sealed record MrrReportView(string Currency, IReadOnlyList<MrrPeriod> Data)
{
    public string ToCsv()
    {
        var csv = new StringBuilder();
        Csv.Line(csv, ["start", "end", "currency", "mrr", "arr", "customers", "new", "expansion", "contraction", "churn", "reactivation"]);
        foreach (var p in Data)
        {
            var m = p.Movements;
            Csv.Line(csv, [Csv.Time(p.Start), Csv.Time(p.End), Currency, Csv.Number(p.Mrr), Csv.Number(p.Arr), Csv.Number(p.Customers),
                Csv.Number(m.New), Csv.Number(m.Expansion), Csv.Number(m.Contraction), Csv.Number(m.Churn), Csv.Number(m.Reactivation)]);
        }

        return csv.ToString();
    }
}

/// <summary>The MRR report from the movements: the standing before the first period, then each period's movements added in order.</summary>
public sealed class MrrReport(MrrStore store)
{
    public const int MostPeriods = 1_000;

    /// <summary>
    /// The periods of <c>[from, to)</c>, each an interval long from <paramref name="from"/>, the last one ending at
    /// <paramref name="to"/>; no more than <see cref="MostPeriods"/> and one (more is refused, not counted).
    /// </summary>
    public static IReadOnlyList<(DateTimeOffset Start, DateTimeOffset End)> Periods(DateTimeOffset from, DateTimeOffset to, ReportInterval interval)
    {
        var periods = new List<(DateTimeOffset, DateTimeOffset)>();
        for (var (start, i) = (from, 1); start < to && periods.Count <= MostPeriods; i++)
        {
            var end = interval switch
            {
                ReportInterval.Day => from.AddDays(i),
                ReportInterval.Week => from.AddDays(7 * i),
                _ => from.AddMonths(i),
            };
            periods.Add((start, end < to ? end : to));
            start = end;
        }

        return periods;
    }

    public async Task<MrrReportView> BuildAsync(string currency, DateTimeOffset from, DateTimeOffset to, ReportInterval interval, CancellationToken ct) =>
        (await BuildFromAsync(currency, from, to, interval, ct)).View;

    /// <summary>The report, and the MRR it starts from (just before <paramref name="from"/>).</summary>
    public async Task<(MrrReportView View, long Start)> BuildFromAsync(string currency, DateTimeOffset from, DateTimeOffset to, ReportInterval interval, CancellationToken ct)
    {
        var (mrr, customers) = await store.StandingAsync(currency, from, ct);
        var opening = mrr;
        var periods = Periods(from, to, interval);
        var data = new List<MrrPeriod>(periods.Count);
        var movements = await store.AllMovementsAsync(currency, from, to, ct);
        var next = 0;
        foreach (var (start, end) in periods)
        {
            long added = 0, expanded = 0, contracted = 0, churned = 0, reactivated = 0;
            for (; next < movements.Count && movements[next].At < end; next++)
            {
                var m = movements[next];
                switch (m.Kind)
                {
                    case MovementKind.New: added += m.Amount; customers++; break;
                    case MovementKind.Reactivation: reactivated += m.Amount; customers++; break;
                    case MovementKind.Expansion: expanded += m.Amount; break;
                    case MovementKind.Contraction: contracted -= m.Amount; break;
                    case MovementKind.Churn: churned -= m.Amount; customers--; break;
                }

                mrr = checked(mrr + m.Amount);
            }

            data.Add(new MrrPeriod(start, end, mrr, checked(mrr * 12), customers, new MrrMovementTotals(added, expanded, contracted, churned, reactivated)));
        }

        return (new MrrReportView(currency, data), opening);
    }
}

/// <summary>One period of the MRR report in the reporting currency: each currency's figures at the rate in force at the period's end, and what the rates' moves added.</summary>
public sealed record ConvertedMrrPeriod(DateTimeOffset Start, DateTimeOffset End, long Mrr, long Arr, int Customers, MrrMovementTotals Movements, long FxAdjustment);

/// <summary>
/// <c>GET /api/v1/analytics/mrr?currency=all</c>: every currency's MRR in the reporting currency. Each period's figures
/// are converted at the rates in force at its end; <c>fx_adjustment</c> is what the change of rates moved, so that
/// <c>end = start + new + expansion + reactivation − contraction − churn + fx_adjustment</c> holds still.
/// </summary>
public sealed record ConvertedMrrReportView(string Currency, IReadOnlyList<string> ConvertedFrom, IReadOnlyList<ConvertedMrrPeriod> Data)
{
    public string ToCsv()
    {
        var csv = new StringBuilder();
        Csv.Line(csv, ["start", "end", "currency", "mrr", "arr", "customers", "new", "expansion", "contraction", "churn", "reactivation", "fx_adjustment"]);
        foreach (var p in Data)
        {
            var m = p.Movements;
            Csv.Line(csv, [Csv.Time(p.Start), Csv.Time(p.End), Currency, Csv.Number(p.Mrr), Csv.Number(p.Arr), Csv.Number(p.Customers),
                Csv.Number(m.New), Csv.Number(m.Expansion), Csv.Number(m.Contraction), Csv.Number(m.Churn), Csv.Number(m.Reactivation), Csv.Number(p.FxAdjustment)]);
        }

        return csv.ToString();
    }
}

/// <summary>The MRR report of every currency in the reporting currency (<see cref="Currencies.ExchangeRates"/>).</summary>
public sealed class ConvertedMrrReport(MrrReport report, MrrStore store)
{
    public async Task<Result<ConvertedMrrReportView>> BuildAsync(
        string reporting, IReadOnlyList<Currencies.ExchangeRate> rates, DateTimeOffset from, DateTimeOffset to, ReportInterval interval, CancellationToken ct)
    {
        var currencies = await store.CurrenciesAsync(ct);
        var periods = MrrReport.Periods(from, to, interval);
        var views = new Dictionary<string, MrrReportView>(StringComparer.Ordinal);
        var starts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var currency in currencies) (views[currency], starts[currency]) = await report.BuildFromAsync(currency, from, to, interval, ct);

        // Paying customers counted once, whatever number of currencies they pay in: a customer's MRR summed over them
        // unconverted is above 0 exactly when it pays in one.
        var paying = MergedMovements.Of(await store.StandingsAsync(from, ct), await store.AllMovementsAsync(null, from, to, ct), reporting, (_, minor) => minor);
        var payingNow = paying.Start.Keys.ToHashSet(StringComparer.Ordinal);
        var nextPaying = 0;

        var data = new List<ConvertedMrrPeriod>(periods.Count);
        long? previous = null;
        for (var i = 0; i < periods.Count; i++)
        {
            long mrr = 0, added = 0, expanded = 0, contracted = 0, churned = 0, reactivated = 0, start = 0;
            // The last instant in the period: its end is the next one's start.
            var at = periods[i].End.AddTicks(-1);
            foreach (var currency in currencies)
            {
                var rate = Currencies.ExchangeRates.RateInto(rates, currency, reporting, at);
                if (!rate.IsOk) return rate.Error;
                long C(long minor) => Currencies.ExchangeRates.Convert(minor, currency, reporting, rate.Value);
                var p = views[currency].Data[i];
                mrr += C(p.Mrr);
                added += C(p.Movements.New);
                expanded += C(p.Movements.Expansion);
                contracted += C(p.Movements.Contraction);
                churned += C(p.Movements.Churn);
                reactivated += C(p.Movements.Reactivation);
                if (i == 0) start += C(starts[currency]);
            }

            for (; nextPaying < paying.Movements.Count && paying.Movements[nextPaying].At < periods[i].End; nextPaying++)
            {
                var m = paying.Movements[nextPaying];
                if (m.MrrAfter > 0) payingNow.Add(m.CustomerId);
                else payingNow.Remove(m.CustomerId);
            }

            var customers = payingNow.Count;
            var before = previous ?? start;
            var fx = checked(mrr - (before + added + expanded + reactivated - contracted - churned));
            data.Add(new ConvertedMrrPeriod(periods[i].Start, periods[i].End, mrr, checked(mrr * 12), customers,
                new MrrMovementTotals(added, expanded, contracted, churned, reactivated), fx));
            previous = mrr;
        }

        return new ConvertedMrrReportView(reporting, currencies, data);
    }
}
