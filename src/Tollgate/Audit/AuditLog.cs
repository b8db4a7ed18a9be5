using System.Data.Common;
using System.Text.Json;
using Dapper;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Audit;

/// <summary>One change to record: what was done to which resource, its state before and after, and whose it is.</summary>
public sealed record AuditChange(string Action, string ResourceType, string ResourceId, object? Before, object? After, string? CustomerId = null);

/// <summary>Writes audit entries inside the caller's transaction, so a change and its record commit together.</summary>
public sealed class AuditLog(Database database, TimeProvider time)
{
    public Task RecordAsync(
        DbTransaction transaction, Actor actor, string action, string resourceType, string resourceId,
        object? before, object? after, string? customerId = null) =>
        RecordManyAsync(transaction, actor, [new AuditChange(action, resourceType, resourceId, before, after, customerId)]);

    /// <summary>Records many changes by one actor in one statement's worth of work (the invoice run's hundreds per transaction).</summary>
    public Task RecordManyAsync(DbTransaction transaction, Actor actor, IReadOnlyList<AuditChange> changes)
    {
        var at = time.Now();
        var rows = changes.Select(c => new AuditRow(Ids.New(Ids.Audit, time), actor, c, at)).ToList();
        return WriteBehind.InsertAsync(transaction, "audit_log", "id", Columns, rows);
    }

    sealed record AuditRow(string Id, Actor Actor, AuditChange Change, DateTimeOffset OccurredAt);

    static readonly IReadOnlyList<BulkColumn<AuditRow>> Columns =
    [
        BulkColumn<AuditRow>.Text("id", r => r.Id),
        BulkColumn<AuditRow>.Text("actor_type", r => r.Actor.Type),
        BulkColumn<AuditRow>.Text("actor_id", r => r.Actor.Id),
        BulkColumn<AuditRow>.Text("action", r => r.Change.Action),
        BulkColumn<AuditRow>.Text("resource_type", r => r.Change.ResourceType),
        BulkColumn<AuditRow>.Text("resource_id", r => r.Change.ResourceId),
        BulkColumn<AuditRow>.Text("customer_id", r => r.Change.CustomerId),
        BulkColumn<AuditRow>.Text("before_state", r => r.Change.Before is null ? null : ApiJson.Serialize(r.Change.Before)),
        BulkColumn<AuditRow>.Text("after_state", r => r.Change.After is null ? null : ApiJson.Serialize(r.Change.After)),
        BulkColumn<AuditRow>.Text("request_id", r => r.Actor.RequestId),
        BulkColumn<AuditRow>.Timestamp("occurred_at", r => r.OccurredAt),
    ];

    public async Task<Page<AuditEntry>> ListAsync(AuditQuery query, PageRequest page, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = (await connection.QueryAsync<Row>(
            """
            SELECT * FROM audit_log
            WHERE (@Cursor IS NULL OR id < @Cursor)
              AND (@ResourceId IS NULL OR resource_id = @ResourceId)
              AND (@ResourceType IS NULL OR resource_type = @ResourceType)
              AND (@ActorId IS NULL OR actor_id = @ActorId)
              AND (@Action IS NULL OR action = @Action)
              AND (@CustomerId IS NULL OR customer_id = @CustomerId)
            ORDER BY id DESC
            LIMIT @Take
            """,
            new
            {
                page.Cursor,
                query.ResourceId,
                query.ResourceType,
                query.ActorId,
                query.Action,
                query.CustomerId,
                Take = page.Size + 1,
            })).Select(r => r.ToEntry()).ToList();
        return Page<AuditEntry>.From(rows, page.Size, e => e.Id);
    }

    sealed record Row
    {
        public string Id { get; init; } = "";
        public string ActorType { get; init; } = "";
        public string? ActorId { get; init; }
        public string Action { get; init; } = "";
        public string ResourceType { get; init; } = "";
        public string ResourceId { get; init; } = "";
        public string? CustomerId { get; init; }
        public string? BeforeState { get; init; }
        public string? AfterState { get; init; }
        public string? RequestId { get; init; }
        public DateTimeOffset OccurredAt { get; init; }

        public AuditEntry ToEntry() => new()
        {
            Id = Id,
            ActorType = ActorType,
            ActorId = ActorId,
            Action = Action,
            ResourceType = ResourceType,
            ResourceId = ResourceId,
            CustomerId = CustomerId,
            Before = Parse(BeforeState),
            After = Parse(AfterState),
            RequestId = RequestId,
            OccurredAt = OccurredAt,
        };

        static JsonElement? Parse(string? json) => json is null ? null : JsonDocument.Parse(json).RootElement.Clone();
    }
}

public sealed record AuditQuery(string? ResourceId, string? ResourceType, string? ActorId, string? Action, string? CustomerId);
