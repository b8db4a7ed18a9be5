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

    /// <summary>Adds events in the caller's transaction, skipping those stored already (a retried batch of gateway events, whose ids repeat).</summary>
    public static Task<int> InsertAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<UsageEvent> events, CancellationToken ct) =>
        BulkInsert.InsertNewAsync(connection, tx, "events", Conflict, Columns, events, ct);

    /// <summary>The stored event a customer sent with this id, to tell a duplicate which event it duplicates.</summary>
    public async Task<IReadOnlyDictionary<(string Customer, string Key), string>> FindAsync(IReadOnlyCollection<(string Customer, string Key)> keys, CancellationToken ct)
    {
        if (keys.Count == 0) return new Dictionary<(string, string), string>();
        await using var connection = await database.OpenAsync(ct);
        var found = new Dictionary<(string, string), string>();
        // Dapper expands a list for SQLite; Npgsql takes it as one array parameter.
        var among = database.Kind == DatabaseKind.Postgres ? "= ANY(@keys)" : "IN @keys";
        foreach (var group in keys.GroupBy(k => k.Customer))
        {
            var rows = await connection.QueryAsync<(string IdempotencyKey, string Id)>(
                $"SELECT idempotency_key, id FROM events WHERE customer_id = @customer AND idempotency_key {among}",
                new { customer = group.Key, keys = group.Select(k => k.Key).ToArray() });
            foreach (var row in rows) found[(group.Key, row.IdempotencyKey)] = row.Id;
        }

        return found;
    }

    public async Task<Page<UsageEvent>> ListAsync(EventQuery query, PageRequest page, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var parameters = new DynamicParameters(new { page.Cursor, query.CustomerId, query.Code, Take = page.Size + 1 });
        // Bounds only when given: a null timestamp parameter has no type PostgreSQL could infer.
        var filters = query.Filters is { Count: > 0 } f ? " AND " + UsageSql.Filters(f, database.Kind, parameters) : "";
        if (query.From is { } from)
        {
            parameters.Add("From", from);
            filters += " AND occurred_at >= @From";
        }

        if (query.To is { } to)
        {
            parameters.Add("To", to);
            filters += " AND occurred_at < @To";
        }

        var rows = (await connection.QueryAsync<EventRow>(
            $"""
            SELECT * FROM events
            WHERE (@Cursor IS NULL OR id < @Cursor)
              AND (@CustomerId IS NULL OR customer_id = @CustomerId)
              AND (@Code IS NULL OR code = @Code){filters}
            ORDER BY id DESC
            LIMIT @Take
            """,
            parameters)).ToList();
        return Page<EventRow>.From(rows, page.Size, r => r.Id).Map(r => r.ToEvent());
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
