using System.Globalization;
using System.Text;
using Dapper;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Analytics.Usage;

/// <summary>One group of the usage report: the gateway's requests, tokens, model cost and charge, and the margin between.</summary>
public sealed record UsageGroup(
    IReadOnlyDictionary<string, string?> Group, long Requests, long InputTokens, long OutputTokens, long CostNanos, long ChargeNanos, long MarginNanos, decimal? MarginRate);

/// <summary><c>GET /api/v1/analytics/usage</c>: amounts in nanodollars (the gateway prices in USD, to the nanodollar).</summary>
public sealed record UsageReportView(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<string> GroupBy, IReadOnlyList<UsageGroup> Data, bool HasMore)
{
    public string ToCsv()
    {
        var csv = new StringBuilder();
        Csv.Line(csv, [.. GroupBy, "requests", "input_tokens", "output_tokens", "cost_nanos", "charge_nanos", "margin_nanos", "margin_rate"]);
        foreach (var g in Data)
        {
            Csv.Line(csv, [.. GroupBy.Select(k => g.Group[k]), Csv.Number(g.Requests), Csv.Number(g.InputTokens), Csv.Number(g.OutputTokens), Csv.Number(g.CostNanos),
                Csv.Number(g.ChargeNanos), Csv.Number(g.MarginNanos), Csv.Decimal(g.MarginRate)]);
        }

        return csv.ToString();
    }
}

/// <summary>
/// The gateway's usage records added up by model (served, else requested), provider, key, end user, customer and day
/// (UTC), in any combination of up to three: requests, tokens, what the models cost and what the customers were
/// charged for them, and the margin (charge − cost, and its share of the charge).
/// </summary>
public sealed class UsageReport(Database database)
{
    public const int MostGroups = 10_000;

    public static readonly IReadOnlyList<string> Dimensions = ["model", "provider", "key", "end_user", "customer", "day"];

    string Column(string dimension) => dimension switch
    {
        "model" => "COALESCE(served_model, requested_model)",
        "provider" => "provider",
        "key" => "key_id",
        "end_user" => "end_user",
        "customer" => "customer_id",
        // Stored as yyyy-MM-ddTHH:mm:ss.ffffffZ on SQLite: the prefix is the UTC day.
        "day" => database.Kind == DatabaseKind.Postgres ? "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')" : "substr(created_at, 1, 10)",
        _ => throw new ArgumentOutOfRangeException(nameof(dimension), dimension, null),
    };

    public async Task<UsageReportView> BuildAsync(IReadOnlyList<string> groupBy, DateTimeOffset from, DateTimeOffset to, string? customerId, CancellationToken ct)
    {
        var names = groupBy.Select((_, i) => $"g{i}").ToList();
        var select = string.Concat(groupBy.Select((d, i) => $"{Column(d)} AS g{i}, "));
        var grouping = names.Count == 0 ? "" : $"GROUP BY {string.Join(", ", names)} ORDER BY {string.Join(", ", names)}";
        await using var connection = await database.OpenAsync(ct);
        var rows = (await connection.QueryAsync(
            $"""
            SELECT {select}COUNT(*) AS requests, COALESCE(SUM(input_tokens), 0) AS input_tokens, COALESCE(SUM(output_tokens), 0) AS output_tokens,
                   COALESCE(SUM(cost_nanos), 0) AS cost_nanos, COALESCE(SUM(charge_nanos), 0) AS charge_nanos
            FROM usage_records WHERE created_at >= @from AND created_at < @to AND (@customerId IS NULL OR customer_id = @customerId)
            {grouping} LIMIT @take
            """, new { from, to, customerId, take = MostGroups + 1 })).Cast<IDictionary<string, object?>>().ToList();
        var groups = rows.Take(MostGroups).Select(r =>
        {
            long L(string name) => Convert.ToInt64(r[name], CultureInfo.InvariantCulture);
            var (cost, charge) = (L("cost_nanos"), L("charge_nanos"));
            var margin = checked(charge - cost);
            return new UsageGroup(
                groupBy.Select((d, i) => (Name: d, Value: r[$"g{i}"]?.ToString())).ToDictionary(g => g.Name, g => g.Value),
                L("requests"), L("input_tokens"), L("output_tokens"), cost, charge, margin, charge == 0 ? null : Math.Round((decimal)margin / charge, 6));
        }).ToList();
        return new UsageReportView(from, to, groupBy, groups, rows.Count > MostGroups);
    }
}
