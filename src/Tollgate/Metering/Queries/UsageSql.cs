using Dapper;
using Tollgate.Catalog;
using Tollgate.Storage;

namespace Tollgate.Metering.Queries;

/// <summary>
/// Writes a usage query as one SQL statement for either database. Property names and filter values are always
/// parameters, never SQL text. The events of the window are read once: PostgreSQL parses each one's JSON once
/// (<c>properties::jsonb</c>), SQLite reads it with <c>json_extract</c>. The gateway's events are read from its usage
/// records instead, their properties from typed columns (<see cref="GatewayEventSource"/>).
/// </summary>
public static class UsageSql
{
    /// <summary>The most groups one answer holds; a query with more is refused rather than cut.</summary>
    public const int MaxRows = 10_000;

    public static (string Sql, DynamicParameters Parameters) Build(UsageQuery query, DatabaseKind kind)
    {
        var metric = query.Metric;
        var sql = new Writer(kind, "p", new DynamicParameters(), IsGateway(metric));
        sql.Parameters.Add("code", metric.EventCode);
        sql.Parameters.Add("from", query.Window.Start);
        sql.Parameters.Add("to", query.Window.End);

        var where = sql.Filters(metric.Filters.Concat(query.Filters));

        var groups = query.GroupBy.Select((g, i) => $"{(g == UsageQuery.CustomerDimension ? "customer_id" : sql.Text(g))} AS g{i}").ToList();
        if (query.Interval is { } interval) groups.Add($"{sql.Bucket(interval)} AS b");
        var value = metric.Aggregation switch
        {
            Aggregation.Count => "1 AS x",
            Aggregation.UniqueCount => $"{sql.Text(metric.Field!)} AS x",
            _ => $"{sql.Number(metric.Field!)} AS x",
        };

        var inner = Events(query, kind, sql.Parameters, [.. groups, value], where);

        var keys = Enumerable.Range(0, query.GroupBy.Count).Select(i => $"g{i}").ToList();
        if (query.Interval is not null) keys.Add("b");
        var function = metric.Aggregation switch
        {
            Aggregation.Count => "COUNT(*)",
            Aggregation.Sum => "SUM(x)",
            Aggregation.Max => "MAX(x)",
            Aggregation.UniqueCount => "COUNT(DISTINCT x)",
            _ => null,
        };
        var groupBy = keys.Count == 0 ? "" : $" GROUP BY {string.Join(", ", keys)} ORDER BY {string.Join(", ", keys)}";
        // Counting reads x = 1, never null; the other aggregations skip events without a usable value.
        var statement = function is null
            ? Latest(inner, keys)
            : $"SELECT {string.Join(", ", [.. keys, $"{function} AS v"])} FROM ({inner}) r WHERE x IS NOT NULL{groupBy}";

        return ($"{statement} LIMIT {MaxRows + 1}", sql.Parameters);
    }

    /// <summary>
    /// A count or sum metric over each of <paramref name="segments"/> (disjoint windows) for one customer, in one
    /// statement: rows of the segment's index and its value, for the segments with events.
    /// </summary>
    public static (string Sql, DynamicParameters Parameters) Segments(Metric metric, string customerId, IReadOnlyList<Period> segments, DatabaseKind kind)
    {
        if (metric.Aggregation is not (Aggregation.Count or Aggregation.Sum)) throw new ArgumentException("Only counts and sums add up over segments.", nameof(metric));
        var window = new Period(segments.Min(s => s.Start), segments.Max(s => s.End));
        var sql = new Writer(kind, "p", new DynamicParameters(), IsGateway(metric));
        sql.Parameters.Add("code", metric.EventCode);
        sql.Parameters.Add("from", window.Start);
        sql.Parameters.Add("to", window.End);
        var where = sql.Filters(metric.Filters);
        var value = metric.Aggregation == Aggregation.Count ? "1 AS x" : $"{sql.Number(metric.Field!)} AS x";
        var inner = Events(new UsageQuery(metric, customerId, window, new Dictionary<string, string[]>(), []), kind, sql.Parameters, [value], where);
        var rows = string.Join(", ", segments.Select((s, i) => $"({i}, {sql.Param(s.Start)}, {sql.Param(s.End)})"));
        var function = metric.Aggregation == Aggregation.Count ? "COUNT(*)" : "SUM(r.x)";
        return ($"""
            WITH s (i, a, b) AS (VALUES {rows})
            SELECT s.i, {function} AS v FROM s JOIN ({inner}) r ON r.occurred_at >= s.a AND r.occurred_at < s.b
            WHERE r.x IS NOT NULL GROUP BY s.i
            """, sql.Parameters);
    }

    /// <summary>The metric's events in the query's window (of its customer, if one), as the columns asked for plus <c>occurred_at</c> and <c>id</c>.</summary>
    static string Events(UsageQuery query, DatabaseKind kind, DynamicParameters parameters, IReadOnlyList<string> columns, string where)
    {
        var customer = query.CustomerId is null ? "" : " AND customer_id = @customer";
        if (query.CustomerId is not null) parameters.Add("customer", query.CustomerId);
        if (query.Customers is { } some)
        {
            customer += $" AND customer_id {SqlList.AnyOf(kind, "customers")}";
            parameters.Add("customers", SqlList.Of(kind, some));
        }
        var source = IsGateway(query.Metric)
            ? $"""
              SELECT u.*, u.created_at AS occurred_at FROM usage_records u
                  WHERE {GatewayEventSource.IsEvent} AND created_at >= @from AND created_at < @to{customer}
              """
            : $"""
              SELECT id, customer_id, occurred_at, {(kind == DatabaseKind.Postgres ? "properties::jsonb" : "properties")} AS p FROM events
                  WHERE code = @code AND occurred_at >= @from AND occurred_at < @to{customer}
              """;
        return $"""
            SELECT {string.Join(", ", [.. columns, "occurred_at", "id"])}
            FROM ({source}) e
            {(where.Length == 0 ? "" : "WHERE " + where)}
            """;
    }

    static bool IsGateway(Metric metric) => metric.EventCode == EventRules.GatewayCode;

    /// <summary>The value of the newest event with one, per group: ties on time go to the later id.</summary>
    static string Latest(string inner, IReadOnlyList<string> keys)
    {
        var partition = keys.Count == 0 ? "" : $"PARTITION BY {string.Join(", ", keys)} ";
        var order = keys.Count == 0 ? "" : $" ORDER BY {string.Join(", ", keys)}";
        return $"""
            SELECT {string.Join(", ", [.. keys, "v"])} FROM (
                SELECT {string.Join(", ", [.. keys, "x AS v"])}, ROW_NUMBER() OVER ({partition}ORDER BY occurred_at DESC, id DESC) AS n
                FROM ({inner}) r WHERE x IS NOT NULL) l
            WHERE n = 1{order}
            """;
    }

    /// <summary>
    /// The SQL condition that events' properties pass every filter ("" for none), reading them from the events
    /// table's own <c>properties</c> column, or for <paramref name="gateway"/> from a usage record's columns; its
    /// parameters are added to <paramref name="parameters"/>.
    /// </summary>
    public static string Filters(IEnumerable<KeyValuePair<string, string[]>> filters, DatabaseKind kind, DynamicParameters parameters, bool gateway = false) =>
        new Writer(kind, kind == DatabaseKind.Postgres ? "properties::jsonb" : "properties", parameters, gateway).Filters(filters);

    sealed class Writer(DatabaseKind kind, string p, DynamicParameters parameters, bool gateway)
    {
        int _next;

        public DynamicParameters Parameters => parameters;

        public string Param(object value)
        {
            var name = $"p{_next++}";
            Parameters.Add(name, value);
            return "@" + name;
        }

        public string Filters(IEnumerable<KeyValuePair<string, string[]>> filters) => string.Join(" AND ",
            filters.Select(f => f.Value.Length == 0 ? "1 = 0" : $"{Text(f.Key)} IN ({string.Join(", ", f.Value.Select(v => Param(v)))})"));

        /// <summary>The property as text: strings as they are, booleans as true/false, numbers as written.</summary>
        public string Text(string property)
        {
            if (gateway) return GatewayEventSource.Text(property);
            if (!Addressable(property)) return "CAST(NULL AS text)";
            if (kind == DatabaseKind.Postgres) return $"({p} ->> {Param(property)})";
            var path = Param(Path(property));
            return $"(CASE json_type({p}, {path}) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'null' THEN NULL WHEN 'object' THEN NULL WHEN 'array' THEN NULL ELSE CAST(json_extract({p}, {path}) AS TEXT) END)";
        }

        /// <summary>The property as a number when it is one; otherwise null, so it is left out.</summary>
        public string Number(string property)
        {
            if (gateway) return GatewayEventSource.Number(property);
            if (!Addressable(property)) return "NULL";
            if (kind == DatabaseKind.Postgres)
            {
                var name = Param(property);
                return $"(CASE WHEN jsonb_typeof({p} -> {name}) = 'number' THEN ({p} ->> {name})::numeric END)";
            }

            var path = Param(Path(property));
            return $"(CASE WHEN json_type({p}, {path}) IN ('integer', 'real') THEN json_extract({p}, {path}) END)";
        }

        public string Bucket(UsageInterval interval) => kind == DatabaseKind.Postgres
            ? $"date_trunc('{interval.ToString().ToLowerInvariant()}', occurred_at, 'UTC')"
            : interval switch
            {
                // Timestamps are stored as yyyy-MM-ddTHH:mm:ss.ffffffZ, so a prefix is the start of its hour, day or month.
                UsageInterval.Hour => "substr(occurred_at, 1, 13) || ':00:00.000000Z'",
                UsageInterval.Day => "substr(occurred_at, 1, 10) || 'T00:00:00.000000Z'",
                _ => "substr(occurred_at, 1, 7) || '-01T00:00:00.000000Z'",
            };

        /// <summary>SQLite's JSON paths cannot quote a double quote, so a name with one never matches, on either database.</summary>
        static bool Addressable(string property) => !property.Contains('"', StringComparison.Ordinal);

        /// <summary>A JSON path naming one top-level key, quoted so dots and spaces in names are literal.</summary>
        static string Path(string property) => $"$.\"{property}\"";
    }
}
