using System.Data.Common;
using Dapper;
using Tollgate.Audit;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Entitlements.Grants;

/// <summary>
/// Grants and top-ups, each change audited in its transaction and announced to every node (the customer's
/// entitlements are reloaded). A grant with a <see cref="Grant.Reference"/> is stored once per customer, so a
/// payment's webhook delivered twice tops up once.
/// </summary>
public sealed class GrantStore(Database database, AuditLog audit, ChangeFeed changes, TimeProvider time)
{
    const string Columns = "id, customer_id, feature, kind, amount, effective_at, expires_at, voided_at, reference, note, created_at";

    /// <summary>Stores the grant; with a reference already used for the same grant, returns that one (not created).</summary>
    public async Task<Result<(Grant Grant, bool Created)>> CreateAsync(Grant grant, Actor actor, CancellationToken ct)
    {
        try
        {
            var result = await database.InTransactionAsync<(Grant, bool)>(async (connection, tx) =>
            {
                if (grant.Reference is not null && await ByReferenceAsync(connection, tx, grant) is { } stored) return Existing(stored, grant);
                await connection.ExecuteAsync(
                    $"""
                    INSERT INTO grants ({Columns})
                    VALUES (@Id, @CustomerId, @Feature, @kind, @Amount, @EffectiveAt, @ExpiresAt, NULL, @Reference, @Note, @CreatedAt)
                    """,
                    new { grant.Id, grant.CustomerId, grant.Feature, kind = EnumText.Snake(grant.Kind), grant.Amount, grant.EffectiveAt, grant.ExpiresAt,
                        grant.Reference, grant.Note, grant.CreatedAt }, tx);
                var action = grant.Kind == GrantKind.TopUp ? "grant.topped_up" : "grant.created";
                await audit.RecordAsync(tx, actor, action, "grant", grant.Id, null, grant, grant.CustomerId);
                changes.Publish(ChangeKind.Customer, grant.CustomerId); // sent with the commit (TransactionChanges)
                return (grant, true);
            }, ct);
            return result;
        }
        catch (DbException e) when (DbErrors.IsUniqueViolation(e) && grant.Reference is not null)
        {
            // Another request stored the same reference between our look and our insert.
            await using var connection = await database.OpenAsync(ct);
            return await ByReferenceAsync(connection, null, grant) is { } stored ? Existing(stored, grant) : throw new InvalidOperationException("A grant's reference clashed but is not stored.", e);
        }
    }

    /// <summary>Ends a grant now: what is left of it can no longer be used; what it already gave stays given.</summary>
    public async Task<Result<Grant>> VoidAsync(string customerId, string id, Actor actor, CancellationToken ct)
    {
        var now = time.Now();
        var result = await database.InTransactionAsync<Grant>(async (connection, tx) =>
        {
            var before = (await ListAsync(connection, customerId, tx)).FirstOrDefault(g => g.Id == id);
            if (before is null) return ApiError.NotFound("grant", id);
            if (before.VoidedAt is not null) return before;
            var after = before with { VoidedAt = now };
            await connection.ExecuteAsync("UPDATE grants SET voided_at = @now WHERE id = @id", new { now, id }, tx);
            await audit.RecordAsync(tx, actor, "grant.voided", "grant", id, before, after, customerId);
            changes.Publish(ChangeKind.Customer, customerId); // sent with the commit (TransactionChanges)
            return after;
        }, ct);
        return result;
    }

    public async Task<IReadOnlyList<Grant>> ListAsync(string customerId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await ListAsync(connection, customerId);
    }

    /// <summary>Every grant of a customer, oldest first, on the caller's connection.</summary>
    public static async Task<IReadOnlyList<Grant>> ListAsync(DbConnection connection, string customerId, DbTransaction? tx = null) =>
        [.. (await connection.QueryAsync<Row>($"SELECT {Columns} FROM grants WHERE customer_id = @customerId ORDER BY created_at, id", new { customerId }, tx))
            .Select(r => r.ToGrant())];

    static async Task<Grant?> ByReferenceAsync(DbConnection connection, DbTransaction? tx, Grant grant) =>
        (await connection.QuerySingleOrDefaultAsync<Row>(
            $"SELECT {Columns} FROM grants WHERE customer_id = @CustomerId AND reference = @Reference", new { grant.CustomerId, grant.Reference }, tx))?.ToGrant();

    static Result<(Grant, bool)> Existing(Grant stored, Grant asked) => GrantRules.SameGrant(stored, asked)
        ? (stored, false)
        : ApiError.Conflict("grant_reference_used", $"Reference '{asked.Reference}' already names grant {stored.Id}, with other terms; use a new reference for a new grant.");

    sealed class Row
    {
        public string Id { get; init; } = "";
        public string CustomerId { get; init; } = "";
        public string Feature { get; init; } = "";
        public string Kind { get; init; } = "";
        public long Amount { get; init; }
        public DateTimeOffset EffectiveAt { get; init; }
        public DateTimeOffset? ExpiresAt { get; init; }
        public DateTimeOffset? VoidedAt { get; init; }
        public string? Reference { get; init; }
        public string? Note { get; init; }
        public DateTimeOffset CreatedAt { get; init; }

        public Grant ToGrant() => new(Id, CustomerId, Feature, Kind == "top_up" ? GrantKind.TopUp : GrantKind.Grant, Amount, EffectiveAt, ExpiresAt,
            VoidedAt, Reference, Note, CreatedAt);
    }
}
