using System.Data.Common;
using System.Text.Json;
using Dapper;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Audit;

/// <summary>Writes audit entries inside the caller's transaction, so a change and its record commit together.</summary>
public sealed class AuditLog(Database database, TimeProvider time)
{
    public Task RecordAsync(
        DbTransaction transaction, Actor actor, string action, string resourceType, string resourceId,
        object? before, object? after, string? customerId = null) =>
        transaction.Connection!.ExecuteAsync(
            """
            INSERT INTO audit_log (id, actor_type, actor_id, action, resource_type, resource_id, customer_id,
                                   before_state, after_state, request_id, occurred_at)
            VALUES (@Id, @ActorType, @ActorId, @Action, @ResourceType, @ResourceId, @CustomerId,
                    @Before, @After, @RequestId, @OccurredAt)
            """,
            new
            {
                Id = Ids.New(Ids.Audit, time),
                ActorType = actor.Type,
                ActorId = actor.Id,
                Action = action,
                ResourceType = resourceType,
                ResourceId = resourceId,
                CustomerId = customerId,
                Before = before is null ? null : ApiJson.Serialize(before),
                After = after is null ? null : ApiJson.Serialize(after),
                actor.RequestId,
                OccurredAt = time.Now(),
            },
            transaction);

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
