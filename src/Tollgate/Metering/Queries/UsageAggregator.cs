using System.Data.Common;
using System.Globalization;
using Dapper;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Metering.Queries;

/// <summary>Runs usage queries against the events table: the stored events are the one source of every total.</summary>
public sealed class UsageAggregator(Database database)
{
    public async Task<Result<List<UsageRow>>> QueryAsync(UsageQuery query, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await QueryAsync(connection, null, query, ct);
    }

    public async Task<Result<List<UsageRow>>> QueryAsync(DbConnection connection, DbTransaction? tx, UsageQuery query, CancellationToken ct)
    {
        var (sql, parameters) = UsageSql.Build(query, database.Kind);
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, tx, cancellationToken: ct));
        var rows = new List<UsageRow>();
        var groups = query.GroupBy.Count;
        while (await reader.ReadAsync(ct))
        {
            if (rows.Count == UsageSql.MaxRows)
            {
                return new ApiError("too_many_groups", StatusCodes.Status422UnprocessableEntity,
                    $"The answer would hold more than {UsageSql.MaxRows} rows; narrow the window, the filters or the grouping.");
            }

            var group = new string?[groups];
            for (var i = 0; i < groups; i++) group[i] = reader.IsDBNull(i) ? null : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture);
            DateTimeOffset? start = query.Interval is null ? null : DapperSetup.ReadTimestamp(reader.GetValue(groups));
            var at = groups + (query.Interval is null ? 0 : 1);
            rows.Add(new UsageRow(group, start, reader.IsDBNull(at) ? null : Convert.ToDecimal(reader.GetValue(at), CultureInfo.InvariantCulture)));
        }

        return rows;
    }

    /// <summary>The metric's value over the query's window, all groups together: 0 for no events, except null for max and latest.</summary>
    public async Task<decimal?> TotalAsync(UsageQuery query, CancellationToken ct)
    {
        var rows = await QueryAsync(query with { GroupBy = [], Interval = null }, ct);
        return rows.Value is [{ } row] ? row.Value ?? Empty(query.Metric) : Empty(query.Metric);
    }

    /// <summary>A count or sum metric of one customer over each of <paramref name="segments"/>, in one query; 0 where there are no events.</summary>
    public async Task<decimal[]> SegmentTotalsAsync(Catalog.Metric metric, string customerId, IReadOnlyList<Period> segments, CancellationToken ct)
    {
        var totals = new decimal[segments.Count];
        if (segments.Count == 0) return totals;
        var (sql, parameters) = UsageSql.Segments(metric, customerId, segments, database.Kind);
        await using var connection = await database.OpenAsync(ct);
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, cancellationToken: ct));
        while (await reader.ReadAsync(ct))
        {
            if (!reader.IsDBNull(1)) totals[Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture)] = Convert.ToDecimal(reader.GetValue(1), CultureInfo.InvariantCulture);
        }

        return totals;
    }

    /// <summary>A metric's value over no events: nothing counted or summed is 0; there is no max or latest of nothing.</summary>
    public static decimal? Empty(Catalog.Metric metric) =>
        metric.Aggregation is Catalog.Aggregation.Max or Catalog.Aggregation.Latest ? null : 0m;
}
