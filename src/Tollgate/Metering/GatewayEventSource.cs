using System.Data.Common;
using System.Text.Json.Nodes;

namespace Tollgate.Metering;

/// <summary>
/// The gateway's usage events are not copied into <c>events</c>: they are read from the gateway's usage records, their
/// one stored form, so the two can never disagree. Each record of a customer that reached a model (not refused, not
/// <see cref="UsageStatus.NotRun"/>) is the event <c>evt_</c>+request id, code <c>gateway</c>, and its properties are
/// columns of the record, typed as the table holds them (the gateway's <c>GatewayEvents.Values</c> reads the
/// same properties in memory, for reservations; a test holds the two alike).
/// </summary>
public static class GatewayEventSource
{
    public const string IdPrefix = "evt_";

    public enum Kind
    {
        Text,
        Number,
        Boolean,
    }

    /// <summary>A property of the event and the SQL that reads it from a usage record.</summary>
    public sealed record Property(string Name, string Sql, Kind Kind);

    public static readonly IReadOnlyList<Property> Properties =
    [
        new("model", "requested_model", Kind.Text),
        new("served_model", "served_model", Kind.Text),
        new("provider", "provider", Kind.Text),
        new("operation", "operation", Kind.Text),
        new("status", "status", Kind.Text),
        new("mode", "mode", Kind.Text),
        new("end_user", "end_user", Kind.Text),
        new("key_id", "key_id", Kind.Text),
        new("input_tokens", "input_tokens", Kind.Number),
        new("output_tokens", "output_tokens", Kind.Number),
        new("cached_tokens", "cached_tokens", Kind.Number),
        new("reasoning_tokens", "reasoning_tokens", Kind.Number),
        new("total_tokens", "(input_tokens + output_tokens)", Kind.Number),
        new("images", "images", Kind.Number),
        new("cost_nanos", "cost_nanos", Kind.Number),
        new("charge_nanos", "charge_nanos", Kind.Number),
        new("cache_hit", "cache_hit", Kind.Boolean),
        new("streamed", "streamed", Kind.Boolean),
    ];

    static readonly Dictionary<string, Property> ByName = Properties.ToDictionary(p => p.Name, StringComparer.Ordinal);

    /// <summary>The usage records that are events, as SQL over <c>usage_records</c>.</summary>
    public const string IsEvent = $"customer_id IS NOT NULL AND status NOT IN ('{UsageStatus.Rejected}', '{UsageStatus.NotRun}')";

    /// <summary>The property as text, as <c>events</c>' JSON reads: booleans as true/false, numbers as written, an unknown name as null.</summary>
    public static string Text(string name) => ByName.GetValueOrDefault(name) switch
    {
        null => "CAST(NULL AS text)",
        { Kind: Kind.Text } p => p.Sql,
        { Kind: Kind.Boolean } p => $"(CASE WHEN {p.Sql} THEN 'true' ELSE 'false' END)",
        var p => $"CAST({p.Sql} AS text)",
    };

    /// <summary>The property as a number when it is one; otherwise null, so it is left out.</summary>
    public static string Number(string name) => ByName.GetValueOrDefault(name) is { Kind: Kind.Number } p ? p.Sql : "NULL";

    /// <summary>The columns <see cref="Read"/> expects, after <c>id, customer_id, key_id, created_at</c>.</summary>
    public static string Columns => string.Join(", ", Properties.Select((p, i) => $"{p.Sql} AS p{i}"));

    /// <summary>The event of one usage record, read by a query of <c>id, customer_id, key_id, created_at, </c><see cref="Columns"/>.</summary>
    public static UsageEvent Read(DbDataReader row, Func<object, DateTimeOffset> timestamp)
    {
        var properties = new JsonObject();
        for (var i = 0; i < Properties.Count; i++)
        {
            var value = row.GetValue(4 + i);
            properties[Properties[i].Name] = value is DBNull ? null : Properties[i].Kind switch
            {
                Kind.Text => JsonValue.Create(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)),
                Kind.Boolean => JsonValue.Create(Convert.ToBoolean(value, System.Globalization.CultureInfo.InvariantCulture)),
                _ => JsonValue.Create(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)),
            };
        }

        var id = row.GetString(0);
        var at = timestamp(row.GetValue(3));
        return new UsageEvent
        {
            Id = IdPrefix + id,
            CustomerId = row.GetString(1),
            IdempotencyKey = id,
            Code = EventRules.GatewayCode,
            OccurredAt = at,
            Properties = EventProperties.From(properties),
            Source = EventRules.GatewayCode,
            KeyId = row.IsDBNull(2) ? null : row.GetString(2),
            ReceivedAt = at,
        };
    }
}
