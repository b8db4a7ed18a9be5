using Dapper;
using Tollgate.Catalog;
using Tollgate.Storage;

namespace Tollgate.Metering.Queries;

/// <summary>One customer's gateway usage two ways: the usage records the gateway wrote (those that reached a model), and the totals metrics read.</summary>
public sealed record ReconciliationLine(string CustomerId, string Status, GatewayTotals Records, GatewayTotals Events);

public sealed record GatewayTotals(long Requests, long InputTokens, long OutputTokens, long CostNanos, long ChargeNanos);

public sealed record ReconciliationReport(DateTimeOffset From, DateTimeOffset To, int Customers, int Mismatched, IReadOnlyList<ReconciliationLine> Lines);

/// <summary>
/// Checks, for a window, that what billing will read (the gateway metrics' totals, through the same aggregation every
/// metric uses) agrees with what the gateway measured (its usage records, summed plainly). Gateway events are read
/// from the records themselves (<see cref="GatewayEventSource"/>), so a difference is a bug in that reading, never
/// expected.
/// </summary>
public sealed class Reconciliation(Database database, UsageAggregator aggregator)
{
    public const string Balanced = "balanced";
    public const string Mismatched = "mismatched";

    public async Task<ReconciliationReport> RunAsync(Period window, string? customerId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var parameters = new { from = window.Start, to = window.End, customer = customerId };
        var records = (await connection.QueryAsync<(string CustomerId, long Requests, long InputTokens, long OutputTokens, long CostNanos, long ChargeNanos)>(
            $"""
            SELECT customer_id, COUNT(*), CAST(SUM(input_tokens) AS bigint), CAST(SUM(output_tokens) AS bigint), CAST(SUM(cost_nanos) AS bigint), CAST(SUM(charge_nanos) AS bigint)
            FROM usage_records
            WHERE {GatewayEventSource.IsEvent} AND created_at >= @from AND created_at < @to AND (@customer IS NULL OR customer_id = @customer)
            GROUP BY customer_id
            """, parameters)).ToDictionary(r => r.CustomerId, r => new GatewayTotals(r.Requests, r.InputTokens, r.OutputTokens, r.CostNanos, r.ChargeNanos));

        var events = await EventTotalsAsync(window, customerId, ct);
        var empty = new GatewayTotals(0, 0, 0, 0, 0);
        var lines = records.Keys.Union(events.Keys).Order(StringComparer.Ordinal).Select(id =>
        {
            var r = records.GetValueOrDefault(id, empty);
            var e = events.GetValueOrDefault(id, empty);
            return new ReconciliationLine(id, r == e ? Balanced : Mismatched, r, e);
        }).ToList();
        return new ReconciliationReport(window.Start, window.End, lines.Count, lines.Count(l => l.Status == Mismatched), lines);
    }

    /// <summary>The gateway events' totals per customer, through the same aggregation every metric uses.</summary>
    async Task<Dictionary<string, GatewayTotals>> EventTotalsAsync(Period window, string? customerId, CancellationToken ct)
    {
        async Task<Dictionary<string, long>> Per(Aggregation aggregation, string? field)
        {
            var metric = new Metric
            {
                Id = "", Code = "reconciliation", Name = "", Event = EventRules.GatewayCode, Aggregation = aggregation, Field = field,
                Filters = new Dictionary<string, string[]>(), CreatedAt = default, UpdatedAt = default,
            };
            var rows = await aggregator.QueryAsync(new UsageQuery(metric, customerId, window, new Dictionary<string, string[]>(), [UsageQuery.CustomerDimension]), ct);
            return rows.Value.ToDictionary(r => r.Group[0]!, r => (long)(r.Value ?? 0));
        }

        var requests = await Per(Aggregation.Count, null);
        var input = await Per(Aggregation.Sum, "input_tokens");
        var output = await Per(Aggregation.Sum, "output_tokens");
        var cost = await Per(Aggregation.Sum, "cost_nanos");
        var charge = await Per(Aggregation.Sum, "charge_nanos");
        return requests.Keys.ToDictionary(id => id, id => new GatewayTotals(
            requests[id], input.GetValueOrDefault(id), output.GetValueOrDefault(id), cost.GetValueOrDefault(id), charge.GetValueOrDefault(id)));
    }
}
