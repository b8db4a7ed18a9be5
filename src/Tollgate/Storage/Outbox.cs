using System.Data.Common;
using Dapper;

namespace Tollgate.Storage;

/// <summary>
/// Events for the world outside (webhooks), written in the same transaction as the change they announce, so an event
/// exists exactly when its change committed. Payloads are the API's JSON (snake_case).
/// </summary>
public static class Outbox
{
    public const string MessagePrefix = "msg";

    public static Task WriteAsync(DbTransaction tx, string id, string type, string? customerId, object payload, DateTimeOffset now) =>
        tx.Connection!.ExecuteAsync(
            "INSERT INTO outbox (id, type, customer_id, payload, created_at) VALUES (@id, @type, @customerId, @payload, @now)",
            new { id, type, customerId, payload = Common.ApiJson.Serialize(payload), now }, tx);
}
