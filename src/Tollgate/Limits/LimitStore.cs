using System.Data.Common;
using Dapper;
using Tollgate.Audit;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Limits;

/// <summary>Rate limits and budgets, each change audited in its transaction and announced to every node's <see cref="LimitBook"/>.</summary>
public sealed class LimitStore(Database database, AuditLog audit, ChangeFeed changes, TimeProvider time)
{
    const string Columns = "id, scope, target, per, measure, amount, window_size, anchored, enforcement, thresholds, description, created_at, updated_at";

    public async Task<Limit> CreateAsync(LimitSpec spec, Actor actor, CancellationToken ct)
    {
        var now = time.Now();
        var limit = ToLimit(Ids.New(Ids.Limit, time), spec, now, now);
        await database.InTransactionAsync(async (connection, tx) =>
        {
            await connection.ExecuteAsync(
                $"""
                INSERT INTO limits ({Columns})
                VALUES (@Id, @scope, @Target, @per, @measure, @Amount, @window, @Anchored, @enforcement, @thresholds, @Description, @CreatedAt, @UpdatedAt)
                """,
                Parameters(limit), tx);
            await audit.RecordAsync(tx, actor, "limit.created", "limit", limit.Id, null, limit, CustomerOf(limit));
            changes.Publish(ChangeKind.Limit, limit.Id); // sent with the commit (TransactionChanges)
            return limit;
        }, ct);
        return limit;
    }

    public async Task<Result<Limit>> ReplaceAsync(string id, LimitSpec spec, Actor actor, CancellationToken ct)
    {
        var result = await database.InTransactionAsync<Limit>(async (connection, tx) =>
        {
            var before = await GetAsync(connection, id, tx);
            if (before is null) return ApiError.NotFound("limit", id);
            if (before.Measure != spec.Measure)
            {
                // Its counters hold units of the old measure (requests, tokens, dollars): they cannot start counting another.
                return ApiError.Conflict("limit_measure_changed",
                    $"Limit '{id}' counts {EnumText.Snake(before.Measure)}; a limit cannot change what it counts. Delete it and create a new one.");
            }

            var after = ToLimit(id, spec, before.CreatedAt, time.Now());
            await connection.ExecuteAsync(
                """
                UPDATE limits SET scope = @scope, target = @Target, per = @per, measure = @measure, amount = @Amount, window_size = @window,
                    anchored = @Anchored, enforcement = @enforcement, thresholds = @thresholds, description = @Description, updated_at = @UpdatedAt
                WHERE id = @Id
                """,
                Parameters(after), tx);
            await audit.RecordAsync(tx, actor, "limit.updated", "limit", id, before, after, CustomerOf(after));
            changes.Publish(ChangeKind.Limit, id); // sent with the commit (TransactionChanges)
            return after;
        }, ct);
        return result;
    }

    public async Task<Result<Limit>> DeleteAsync(string id, Actor actor, CancellationToken ct)
    {
        var result = await database.InTransactionAsync<Limit>(async (connection, tx) =>
        {
            var before = await GetAsync(connection, id, tx);
            if (before is null) return ApiError.NotFound("limit", id);
            await connection.ExecuteAsync("DELETE FROM limits WHERE id = @id", new { id }, tx);
            await audit.RecordAsync(tx, actor, "limit.deleted", "limit", id, before, null, CustomerOf(before));
            changes.Publish(ChangeKind.Limit, id); // sent with the commit (TransactionChanges)
            return before;
        }, ct);
        return result;
    }

    public async Task<Limit?> GetAsync(string id, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await GetAsync(connection, id, null);
    }

    public async Task<IReadOnlyList<Limit>> ListAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<Row>($"SELECT {Columns} FROM limits ORDER BY id");
        return [.. rows.Select(r => r.ToLimit())];
    }

    static async Task<Limit?> GetAsync(DbConnection connection, string id, DbTransaction? tx) =>
        (await connection.QuerySingleOrDefaultAsync<Row>($"SELECT {Columns} FROM limits WHERE id = @id", new { id }, tx))?.ToLimit();

    static string? CustomerOf(Limit limit) => limit.Scope == LimitScope.Customer ? limit.Target : null;

    static Limit ToLimit(string id, LimitSpec spec, DateTimeOffset created, DateTimeOffset updated) => new()
    {
        Id = id, Scope = spec.Scope, Target = spec.Target, Per = spec.Per, Measure = spec.Measure, Amount = spec.Amount, Window = spec.Window,
        Anchored = spec.Anchored, Enforcement = spec.Enforcement, Thresholds = spec.Thresholds, Description = spec.Description,
        CreatedAt = created, UpdatedAt = updated,
    };

    static object Parameters(Limit l) => new
    {
        l.Id, scope = EnumText.Snake(l.Scope), l.Target, per = EnumText.Snake(l.Per), measure = EnumText.Snake(l.Measure), l.Amount,
        window = l.Window is { } w ? EnumText.Snake(w) : null, l.Anchored, enforcement = EnumText.Snake(l.Enforcement),
        thresholds = ApiJson.Serialize(l.Thresholds), l.Description, l.CreatedAt, l.UpdatedAt,
    };

    sealed class Row
    {
        public string Id { get; init; } = "";
        public string Scope { get; init; } = "";
        public string Target { get; init; } = "";
        public string Per { get; init; } = "";
        public string Measure { get; init; } = "";
        public long Amount { get; init; }
        public string? WindowSize { get; init; }
        public bool Anchored { get; init; }
        public string Enforcement { get; init; } = "";
        public string Thresholds { get; init; } = "[]";
        public string? Description { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }

        public Limit ToLimit() => new()
        {
            Id = Id, Scope = EnumText.Parse<LimitScope>(Scope), Target = Target, Per = EnumText.Parse<LimitPer>(Per),
            Measure = EnumText.Parse<LimitMeasure>(Measure), Amount = Amount,
            Window = WindowSize is null ? null : EnumText.Parse<LimitWindow>(WindowSize), Anchored = Anchored,
            Enforcement = EnumText.Parse<Tollgate.Catalog.Enforcement>(Enforcement), Thresholds = ApiJson.Deserialize<int[]>(Thresholds) ?? [],
            Description = Description, CreatedAt = CreatedAt, UpdatedAt = UpdatedAt,
        };
    }
}
