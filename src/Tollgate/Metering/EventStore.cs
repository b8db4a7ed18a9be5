using System.Data.Common;
using Dapper;
using Tollgate.Common;
using Tollgate.Metering.Queries;
using Tollgate.Storage;

namespace Tollgate.Metering;

/// <summary>The events table: appended in batches (a duplicate is skipped, never counted twice) and read back as the audit trail.</summary>
public sealed class EventStore(Database database)
{
    static readonly BulkColumn<UsageEvent>[] Columns =
    [
        BulkColumn<UsageEvent>.Text("id", e => e.Id),
        BulkColumn<UsageEvent>.Text("customer_id", e => e.CustomerId),
        BulkColumn<UsageEvent>.Text("idempotency_key", e => e.IdempotencyKey),
        BulkColumn<UsageEvent>.Text("code", e => e.Code),
        BulkColumn<UsageEvent>.Timestamp("occurred_at", e => e.OccurredAt),
        BulkColumn<UsageEvent>.Text("properties", e => e.Properties.Json),
        BulkColumn<UsageEvent>.Text("source", e => e.Source),
        BulkColumn<UsageEvent>.Text("key_id", e => e.KeyId),
        BulkColumn<UsageEvent>.Timestamp("received_at", e => e.ReceivedAt),
    ];

    const string Conflict = "customer_id, idempotency_key";

    /// <summary>
    /// Appends events sent to the API, each with an id of its own; returns the ids of those that were new (the rest
    /// were sent before).
    /// </summary>
    public Task<IReadOnlySet<string>> AppendAsync(IReadOnlyList<UsageEvent> events, CancellationToken ct) =>
        database.InTransactionAsync((connection, tx) => BulkInsert.InsertNewReturningAsync(connection, tx, "events", Conflict, Columns, events, ("id", e => e.Id), ct), ct);

    /// <summary>
    /// The time of the customer's test clock (billing's table, read here only on the rare path of an event outside the
    /// server's window), or null when it has none.
    /// </summary>
    public async Task<DateTimeOffset?> TestClockTimeAsync(string customerId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await Customers.CustomerClocks.FrozenTimeAsync(connection, null, customerId);
    }

    /// <summary>The stored event a customer sent with this id, to tell a duplicate which event it duplicates.</summary>
    public async Task<IReadOnlyDictionary<(string Customer, string Key), string>> FindAsync(IReadOnlyCollection<(string Customer, string Key)> keys, CancellationToken ct)
    {
        if (keys.Count == 0) return new Dictionary<(string, string), string>();
        await using var connection = await database.OpenAsync(ct);
        var found = new Dictionary<(string, string), string>();
        foreach (var group in keys.GroupBy(k => k.Customer))
        {
            var rows = await connection.QueryAsync<(string IdempotencyKey, string Id)>(
                $"SELECT idempotency_key, id FROM events WHERE customer_id = @customer AND idempotency_key {database.AnyOf("keys")}",
                new { customer = group.Key, keys = database.ListOf(group.Select(k => k.Key)) });
            foreach (var row in rows) found[(group.Key, row.IdempotencyKey)] = row.Id;
        }

        return found;
    }

    /// <summary>
    /// Events newest id first: those sent to the API from <c>events</c>, the gateway's from its usage records
    /// (<see cref="GatewayEventSource"/>), merged by id, so one cursor pages through both.
    /// </summary>
    public async Task<Page<UsageEvent>> ListAsync(EventQuery query, PageRequest page, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var take = page.Size + 1;
        var rows = new List<UsageEvent>(take);
        if (query.Code != EventRules.GatewayCode)
        {
            var parameters = Bounds(new DynamicParameters(new { page.Cursor, query.CustomerId, query.Code, Take = take }), query, "occurred_at", out var bounds);
            var filters = query.Filters is { Count: > 0 } f ? " AND " + UsageSql.Filters(f, database.Kind, parameters) : "";
            rows.AddRange((await connection.QueryAsync<EventRow>(
                $"""
                SELECT * FROM events
                WHERE (@Cursor IS NULL OR id < @Cursor)
                  AND (@CustomerId IS NULL OR customer_id = @CustomerId)
                  AND (@Code IS NULL OR code = @Code){bounds}{filters}
                ORDER BY id DESC
                LIMIT @Take
                """,
                parameters)).Select(r => r.ToEvent()));
        }

        if (query.Code is null or EventRules.GatewayCode && GatewayCursor(page.Cursor) is var (all, before) && all | before is not null)
        {
            var parameters = Bounds(new DynamicParameters(new { Before = before, query.CustomerId, Take = take }), query, "created_at", out var bounds);
            var filters = query.Filters is { Count: > 0 } f ? " AND " + UsageSql.Filters(f, database.Kind, parameters, gateway: true) : "";
            await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
                $"""
                SELECT id, customer_id, key_id, created_at, {GatewayEventSource.Columns} FROM usage_records
                WHERE {GatewayEventSource.IsEvent}
                  AND (@Before IS NULL OR id < @Before)
                  AND (@CustomerId IS NULL OR customer_id = @CustomerId){bounds}{filters}
                ORDER BY id DESC
                LIMIT @Take
                """,
                parameters, cancellationToken: ct));
            while (await reader.ReadAsync(ct)) rows.Add(GatewayEventSource.Read(reader, DapperSetup.ReadTimestamp));
        }

        rows.Sort((a, b) => string.CompareOrdinal(b.Id, a.Id));
        return Page<UsageEvent>.From(rows.Count > take ? rows[..take] : rows, page.Size, e => e.Id);
    }

    /// <summary>Adds the query's time bounds on <paramref name="column"/>, only when given: a null timestamp parameter has no type PostgreSQL could infer.</summary>
    static DynamicParameters Bounds(DynamicParameters parameters, EventQuery query, string column, out string sql)
    {
        sql = "";
        if (query.From is { } from)
        {
            parameters.Add("From", from);
            sql += $" AND {column} >= @From";
        }

        if (query.To is { } to)
        {
            parameters.Add("To", to);
            sql += $" AND {column} < @To";
        }

        return parameters;
    }

    /// <summary>
    /// Which usage records come before a cursor, in the order of their event ids (<c>evt_</c> + request id): all of
    /// them, those with a request id before one, or (neither) none.
    /// </summary>
    static (bool All, string? Before) GatewayCursor(string? cursor)
    {
        if (cursor is null) return (true, null);
        if (cursor.StartsWith(GatewayEventSource.IdPrefix, StringComparison.Ordinal)) return (false, cursor[GatewayEventSource.IdPrefix.Length..]);
        return (string.CompareOrdinal(cursor, GatewayEventSource.IdPrefix) > 0, null);
    }

    sealed class EventRow
    {
        public string Id { get; init; } = "";
        public string CustomerId { get; init; } = "";
        public string IdempotencyKey { get; init; } = "";
        public string Code { get; init; } = "";
        public DateTimeOffset OccurredAt { get; init; }
        public string Properties { get; init; } = "{}";
        public string Source { get; init; } = "";
        public string? KeyId { get; init; }
        public DateTimeOffset ReceivedAt { get; init; }

        public UsageEvent ToEvent() => new()
        {
            Id = Id, CustomerId = CustomerId, IdempotencyKey = IdempotencyKey, Code = Code, OccurredAt = OccurredAt,
            Properties = EventProperties.Stored(Properties), Source = Source, KeyId = KeyId, ReceivedAt = ReceivedAt,
        };
    }
}

/// <summary>Which events to list; <paramref name="Filters"/> are property filters, as a metric's.</summary>
public sealed record EventQuery(string? CustomerId, string? Code, DateTimeOffset? From, DateTimeOffset? To, IReadOnlyDictionary<string, string[]>? Filters = null);
