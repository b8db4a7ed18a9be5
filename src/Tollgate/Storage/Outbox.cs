using System.Data.Common;

namespace Tollgate.Storage;

/// <summary>One event for the world outside: its id, type, the customer it concerns, and its payload (any object, as the API's JSON).</summary>
public sealed record OutboxMessage(string Id, string Type, string? CustomerId, object Payload, DateTimeOffset CreatedAt);

/// <summary>
/// Events for the world outside (webhooks), written in the same transaction as the change they announce, so an event
/// exists exactly when its change committed. Payloads are the API's JSON (snake_case).
/// </summary>
public static class Outbox
{
    public const string MessagePrefix = "msg";

    static readonly IReadOnlyList<BulkColumn<OutboxMessage>> Columns =
    [
        BulkColumn<OutboxMessage>.Text("id", m => m.Id),
        BulkColumn<OutboxMessage>.Text("type", m => m.Type),
        BulkColumn<OutboxMessage>.Text("customer_id", m => m.CustomerId),
        BulkColumn<OutboxMessage>.Text("payload", m => Common.ApiJson.Serialize(m.Payload)),
        BulkColumn<OutboxMessage>.Timestamp("created_at", m => m.CreatedAt),
    ];

    public static Task WriteAsync(DbTransaction tx, string id, string type, string? customerId, object payload, DateTimeOffset now) =>
        WriteManyAsync(tx, [new OutboxMessage(id, type, customerId, payload, now)]);

    /// <summary>Writes many events in one statement's worth of work (the invoice run's hundreds per transaction).</summary>
    public static Task WriteManyAsync(DbTransaction tx, IReadOnlyList<OutboxMessage> messages) =>
        WriteBehind.InsertAsync(tx, "outbox", "id", Columns, messages);
}
