using System.Data.Common;
using Dapper;
using Tollgate.Audit;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Entitlements;

/// <summary>Per-customer overrides of what their plan grants, each change audited in its transaction.</summary>
public sealed class OverrideStore(Database database, AuditLog audit, ChangeFeed changes, TimeProvider time)
{
    public async Task<EntitlementOverride> PutAsync(string customerId, Feature feature, OverrideRequest request, Actor actor, CancellationToken ct)
    {
        var now = time.Now();
        var change = new EntitlementOverride(customerId, feature.Code, request.Enabled, request.Limit, request.Unlimited == true, request.Enforcement, request.Note, now);
        await database.InTransactionAsync(async (connection, tx) =>
        {
            var before = (await ListAsync(connection, customerId, tx)).FirstOrDefault(o => o.Feature == feature.Code);
            await connection.ExecuteAsync("DELETE FROM entitlement_overrides WHERE customer_id = @customerId AND feature_id = @featureId",
                new { customerId, featureId = feature.Id }, tx);
            await connection.ExecuteAsync(
                """
                INSERT INTO entitlement_overrides (customer_id, feature_id, enabled, limit_value, unlimited, enforcement, note, created_at, updated_at)
                VALUES (@customerId, @featureId, @Enabled, @Limit, @Unlimited, @enforcement, @Note, @now, @now)
                """,
                new { customerId, featureId = feature.Id, change.Enabled, change.Limit, change.Unlimited, enforcement = Snake(change.Enforcement), change.Note, now }, tx);
            await audit.RecordAsync(tx, actor, "entitlement.overridden", "customer", customerId, before, change, customerId);
            changes.Publish(ChangeKind.Customer, customerId); // sent with the commit (TransactionChanges)
            return change;
        }, ct);
        return change;
    }

    public async Task<Result<EntitlementOverride>> DeleteAsync(string customerId, Feature feature, Actor actor, CancellationToken ct)
    {
        var result = await database.InTransactionAsync<EntitlementOverride>(async (connection, tx) =>
        {
            var before = (await ListAsync(connection, customerId, tx)).FirstOrDefault(o => o.Feature == feature.Code);
            if (before is null) return ApiError.NotFound("override of feature", feature.Code);
            await connection.ExecuteAsync("DELETE FROM entitlement_overrides WHERE customer_id = @customerId AND feature_id = @featureId",
                new { customerId, featureId = feature.Id }, tx);
            await audit.RecordAsync(tx, actor, "entitlement.override_removed", "customer", customerId, before, null, customerId);
            changes.Publish(ChangeKind.Customer, customerId); // sent with the commit (TransactionChanges)
            return before;
        }, ct);
        return result;
    }

    public static async Task<IReadOnlyList<EntitlementOverride>> ListAsync(DbConnection connection, string customerId, DbTransaction? tx = null) =>
        (await connection.QueryAsync<(string Feature, bool? Enabled, long? Limit, bool Unlimited, string? Enforcement, string? Note, DateTimeOffset UpdatedAt)>(
            """
            SELECT f.code, o.enabled, o.limit_value, o.unlimited, o.enforcement, o.note, o.updated_at
            FROM entitlement_overrides o JOIN features f ON f.id = o.feature_id
            WHERE o.customer_id = @customerId ORDER BY f.code
            """, new { customerId }, tx))
        .Select(r => new EntitlementOverride(customerId, r.Feature, r.Enabled, r.Limit, r.Unlimited, ParseEnforcement(r.Enforcement), r.Note, r.UpdatedAt))
        .ToList();

    public static Enforcement? ParseEnforcement(string? text) => text is null ? null : EnumText.Parse<Enforcement>(text);

    static string? Snake(Enforcement? enforcement) => enforcement is { } e ? EnumText.Snake(e) : null;
}
