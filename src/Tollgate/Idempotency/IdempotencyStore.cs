using System.Data.Common;
using Dapper;
using Tollgate.Common;
using Tollgate.Secrets;
using Tollgate.Storage;

namespace Tollgate.Idempotency;

public enum ClaimOutcome
{
    /// <summary>This request runs; <see cref="Claim.Token"/> names its claim.</summary>
    Claimed,

    /// <summary>The first request finished: answer with its stored response.</summary>
    Replay,

    /// <summary>The key was used for another request.</summary>
    Mismatch,

    /// <summary>The first request is still running.</summary>
    InProgress,

    /// <summary>The first request committed its change, but its answer was never stored (its node died after commit).</summary>
    AppliedWithoutAnswer,
}

public sealed record Claim(ClaimOutcome Outcome, string? Token = null, int Status = 0, string? ContentType = null, string? Body = null);

/// <summary>Thrown inside a handler's transaction when another request took its idempotency claim over: the transaction rolls back.</summary>
public sealed class IdempotencyClaimLostException() : Exception("Another request with this Idempotency-Key took the claim over.");

/// <summary>
/// Remembers the response to each (key, Idempotency-Key) pair so a retried POST gets the first answer. A claim moves
/// from <c>in_progress</c> to <c>applied</c> inside the handler's own transaction (through <see cref="CommitGuard"/>),
/// and to <c>completed</c> with its answer once the response is known. So a request that committed is never run again,
/// even when its node died before the answer was stored, and a slow request whose claim was taken over cannot commit.
/// Answers are sealed with <see cref="SecretBox"/>: they may carry secrets (a new key, an invitation token).
/// </summary>
public sealed class IdempotencyStore(Database database, SecretBox box, TimeProvider time)
{
    /// <summary>A request in progress longer than this without committing is taken to have died with its node, and may run again.</summary>
    public static readonly TimeSpan AbandonedAfter = TimeSpan.FromMinutes(1);

    public static readonly TimeSpan KeptFor = TimeSpan.FromHours(24);

    public async Task<Claim> ClaimAsync(string scope, string key, string requestHash, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var token = RandomText.Secret("", 22);
        await using var connection = await database.OpenAsync(ct);
        int inserted;
        using (await database.WriterTurnAsync(ct))
            inserted = await connection.ExecuteAsync(
            """
            INSERT INTO idempotency_keys (scope, idempotency_key, request_hash, status, claim_token, created_at)
            VALUES (@scope, @key, @requestHash, 'in_progress', @token, @now)
            ON CONFLICT (scope, idempotency_key) DO NOTHING
            """,
            new { scope, key, requestHash, token, now });
        if (inserted == 1) return new Claim(ClaimOutcome.Claimed, token);

        var row = await connection.QuerySingleOrDefaultAsync<Row>(
            "SELECT * FROM idempotency_keys WHERE scope = @scope AND idempotency_key = @key", new { scope, key });
        if (row is null) return await ClaimAsync(scope, key, requestHash, ct);
        if (row.RequestHash != requestHash) return new Claim(ClaimOutcome.Mismatch);
        switch (row.Status)
        {
            case "completed":
                var body = row.ResponseBody is null ? "" : box.Open(row.ResponseBody, Context(scope, key));
                return body is null
                    ? new Claim(ClaimOutcome.AppliedWithoutAnswer)
                    : new Claim(ClaimOutcome.Replay, Status: row.ResponseStatus ?? 200, ContentType: row.ResponseContentType, Body: body);
            case "applied":
                return new Claim(row.CreatedAt + AbandonedAfter > now ? ClaimOutcome.InProgress : ClaimOutcome.AppliedWithoutAnswer);
        }

        if (row.CreatedAt + AbandonedAfter > now) return new Claim(ClaimOutcome.InProgress);
        using var turn = await database.WriterTurnAsync(ct);
        var taken = await connection.ExecuteAsync(
            """
            UPDATE idempotency_keys SET claim_token = @token, created_at = @now
            WHERE scope = @scope AND idempotency_key = @key AND status = 'in_progress' AND created_at = @was
            """,
            new { scope, key, token, now, was = row.CreatedAt });
        return taken == 1 ? new Claim(ClaimOutcome.Claimed, token) : new Claim(ClaimOutcome.InProgress);
    }

    /// <summary>Inside the handler's transaction: marks the claim applied, or throws when the claim is no longer this request's.</summary>
    public static async Task MarkAppliedAsync(DbTransaction tx, string scope, string key, string token)
    {
        var marked = await tx.Connection!.ExecuteAsync(
            "UPDATE idempotency_keys SET status = 'applied' WHERE scope = @scope AND idempotency_key = @key AND claim_token = @token",
            new { scope, key, token }, tx);
        if (marked != 1) throw new IdempotencyClaimLostException();
    }

    /// <summary>
    /// Stores the answer for replays. A server error from a request that committed nothing releases the key, so a retry
    /// runs again; once anything committed, the answer is kept whatever it was.
    /// </summary>
    public async Task FinishAsync(string scope, string key, string token, int status, string? contentType, string body, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        using var turn = await database.WriterTurnAsync(ct);
        if (status >= 500 && await ReleaseAsync(connection, scope, key, token) == 1) return;
        await connection.ExecuteAsync(
            """
            UPDATE idempotency_keys SET status = 'completed', response_status = @status, response_content_type = @contentType, response_body = @body
            WHERE scope = @scope AND idempotency_key = @key AND claim_token = @token
            """,
            new { scope, key, token, status, contentType, body = box.Seal(body, Context(scope, key)) });
    }

    /// <summary>Releases a claim whose request failed before committing anything; a claim that committed stays.</summary>
    public async Task ReleaseAsync(string scope, string key, string token, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        using var turn = await database.WriterTurnAsync(ct);
        await ReleaseAsync(connection, scope, key, token);
    }

    public async Task<int> PurgeAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteAsync("DELETE FROM idempotency_keys WHERE created_at < @before", new { before = time.GetUtcNow() - KeptFor });
    }

    static Task<int> ReleaseAsync(DbConnection connection, string scope, string key, string token) =>
        connection.ExecuteAsync(
            "DELETE FROM idempotency_keys WHERE scope = @scope AND idempotency_key = @key AND claim_token = @token AND status = 'in_progress'",
            new { scope, key, token });

    static string Context(string scope, string key) => $"idempotency:{scope}:{key}";

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
