using Dapper;
using Tollgate.Storage;

namespace Tollgate.Idempotency;

public enum ClaimOutcome
{
    Claimed,
    Replay,
    Mismatch,
    InProgress,
}

public sealed record Claim(ClaimOutcome Outcome, int Status = 0, string? ContentType = null, string? Body = null);

/// <summary>Remembers the response to each (key, Idempotency-Key) pair so a retried POST gets the first answer.</summary>
public sealed class IdempotencyStore(Database database, TimeProvider time)
{
    /// <summary>A request in progress longer than this is taken to have died with its node, and may run again.</summary>
    public static readonly TimeSpan AbandonedAfter = TimeSpan.FromMinutes(1);

    public static readonly TimeSpan KeptFor = TimeSpan.FromHours(24);

    public async Task<Claim> ClaimAsync(string scope, string key, string requestHash, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(ct);
        var inserted = await connection.ExecuteAsync(
            """
            INSERT INTO idempotency_keys (scope, idempotency_key, request_hash, status, created_at)
            VALUES (@scope, @key, @requestHash, 'in_progress', @now)
            ON CONFLICT (scope, idempotency_key) DO NOTHING
            """,
            new { scope, key, requestHash, now });
        if (inserted == 1) return new Claim(ClaimOutcome.Claimed);

        var row = await connection.QuerySingleOrDefaultAsync<Row>(
            "SELECT * FROM idempotency_keys WHERE scope = @scope AND idempotency_key = @key", new { scope, key });
        if (row is null) return await ClaimAsync(scope, key, requestHash, ct);
        if (row.RequestHash != requestHash) return new Claim(ClaimOutcome.Mismatch);
        if (row.Status == "completed") return new Claim(ClaimOutcome.Replay, row.ResponseStatus ?? 200, row.ResponseContentType, row.ResponseBody);
        if (row.CreatedAt + AbandonedAfter > now) return new Claim(ClaimOutcome.InProgress);

        var taken = await connection.ExecuteAsync(
            "UPDATE idempotency_keys SET created_at = @now WHERE scope = @scope AND idempotency_key = @key AND status = 'in_progress' AND created_at = @was",
            new { scope, key, now, was = row.CreatedAt });
        return new Claim(taken == 1 ? ClaimOutcome.Claimed : ClaimOutcome.InProgress);
    }

    public async Task CompleteAsync(string scope, string key, int status, string? contentType, string body, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync(
            """
            UPDATE idempotency_keys SET status = 'completed', response_status = @status, response_content_type = @contentType, response_body = @body
            WHERE scope = @scope AND idempotency_key = @key
            """,
            new { scope, key, status, contentType, body });
    }

    public async Task ReleaseAsync(string scope, string key, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync("DELETE FROM idempotency_keys WHERE scope = @scope AND idempotency_key = @key", new { scope, key });
    }

    public async Task<int> PurgeAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteAsync("DELETE FROM idempotency_keys WHERE created_at < @before", new { before = time.GetUtcNow() - KeptFor });
    }

    sealed record Row
    {
        public string RequestHash { get; init; } = "";
        public string Status { get; init; } = "";
        public int? ResponseStatus { get; init; }
        public string? ResponseContentType { get; init; }
        public string? ResponseBody { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
    }
}
