using Dapper;
using Tollgate.Analytics.Currencies;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Analytics.Usage;

/// <summary>One customer's or plan's gross margin over a window, in minor units of the reporting currency.</summary>
public sealed record Margin(string Key, long Revenue, long ModelCost, long GrossMargin, decimal? GrossMarginRate);

public sealed record MarginReportView(string Currency, string GroupBy, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<Margin> Data)
{
    public string ToCsv()
    {
        var csv = new System.Text.StringBuilder();
        Csv.Line(csv, [GroupBy, "currency", "revenue", "model_cost", "gross_margin", "gross_margin_rate"]);
        foreach (var m in Data)
            Csv.Line(csv, [m.Key, Currency, Csv.Number(m.Revenue), Csv.Number(m.ModelCost), Csv.Number(m.GrossMargin), Csv.Decimal(m.GrossMarginRate)]);
        return csv.ToString();
    }
}

/// <summary>
/// Gross margin (docs/analytics.md): revenue is what paid invoices collected in the window (by the day they were paid;
/// subscriptions, usage and one-time charges alike, before tax is not taken out: <c>amount_paid</c>), the model cost
/// what the gateway's requests of the window cost at the providers' prices (USD); both in the reporting currency at
/// the rate in force at the window's end, each amount rounded once. By plan, an invoice counts for its subscription's
/// plan and a customer's model cost for the plan of its latest subscription (a customer without one is under
/// <c>none</c>).
/// </summary>
public sealed class MarginReport(Database database)
{
    public async Task<Result<MarginReportView>> BuildAsync(
        string groupBy, string reporting, IReadOnlyList<ExchangeRate> rates, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var paid = await connection.QueryAsync<(string CustomerId, string? Plan, string Currency, long Amount)>(
            """
            SELECT i.customer_id, s.plan_code, i.currency, i.amount_paid FROM invoices i LEFT JOIN subscriptions s ON s.id = i.subscription_id
            WHERE i.status = 'paid' AND i.paid_at >= @from AND i.paid_at < @to
            """, new { from, to });
        var costs = await connection.QueryAsync<(string CustomerId, long CostNanos)>(
            "SELECT customer_id, SUM(cost_nanos) FROM usage_records WHERE customer_id IS NOT NULL AND created_at >= @from AND created_at < @to GROUP BY customer_id",
            new { from, to });
        var plans = groupBy == "plan"
            ? (await connection.QueryAsync<(string CustomerId, string Plan)>(
                "SELECT customer_id, plan_code FROM subscriptions s WHERE created_at = (SELECT MAX(created_at) FROM subscriptions l WHERE l.customer_id = s.customer_id)"))
                .GroupBy(p => p.CustomerId).ToDictionary(g => g.Key, g => g.First().Plan)
            : [];

        var at = to.AddTicks(-1);
        Result<long> InReporting(long minor, string currency) => ExchangeRates.InReporting(rates, minor, currency, reporting, at);

        var revenue = new Dictionary<string, long>(StringComparer.Ordinal);
        var cost = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var p in paid)
        {
            var amount = InReporting(p.Amount, p.Currency);
            if (!amount.IsOk) return amount.Error;
            var key = groupBy == "plan" ? p.Plan ?? "none" : p.CustomerId;
            revenue[key] = checked(revenue.GetValueOrDefault(key) + amount.Value);
        }

        foreach (var c in costs)
        {
            // Nanodollars to cents is the one rounding of the cost before the exchange rate's.
            var cents = Billing.MinorUnits.Round(c.CostNanos / 10_000_000m);
            var amount = InReporting(cents, "USD");
            if (!amount.IsOk) return amount.Error;
            var key = groupBy == "plan" ? plans.GetValueOrDefault(c.CustomerId) ?? "none" : c.CustomerId;
            cost[key] = checked(cost.GetValueOrDefault(key) + amount.Value);
        }

        var data = revenue.Keys.Union(cost.Keys).Select(key =>
        {
            var (r, c) = (revenue.GetValueOrDefault(key), cost.GetValueOrDefault(key));
            var margin = checked(r - c);
            return new Margin(key, r, c, margin, r == 0 ? null : Math.Round((decimal)margin / r, 6));
        }).OrderByDescending(m => m.Revenue).ThenBy(m => m.Key, StringComparer.Ordinal).ToList();
        return new MarginReportView(reporting, groupBy, from, to, data);
    }
}
