using Dapper;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Gateway.Usage;

public sealed class UsageStore(Database database)
{
    const string Columns =
        "id, customer_id, key_id, mode, end_user, operation, requested_model, served_model, provider, input_tokens, output_tokens, " +
        "cached_tokens, cache_write_tokens, reasoning_tokens, images, status, http_status, error_code, streamed, usage_estimated, " +
        "cache_hit, attempts, latency_ms, time_to_first_token_ms, cost_nanos, charge_nanos, price_version, created_at";

    const string Values =
        "@Id, @CustomerId, @KeyId, @Mode, @EndUser, @Operation, @RequestedModel, @ServedModel, @Provider, @InputTokens, @OutputTokens, " +
        "@CachedTokens, @CacheWriteTokens, @ReasoningTokens, @Images, @Status, @HttpStatus, @ErrorCode, @Streamed, @UsageEstimated, " +
        "@CacheHit, @Attempts, @LatencyMs, @TimeToFirstTokenMs, @CostNanos, @ChargeNanos, @PriceVersion, @CreatedAt";

    /// <summary>Writes a batch in one transaction; a record already written (same request id) is skipped, so a retried batch counts once.</summary>
    public async Task InsertAsync(IReadOnlyList<UsageRecord> records, CancellationToken ct)
    {
        var conflict = database.Kind == DatabaseKind.Postgres ? " ON CONFLICT (id) DO NOTHING" : "";
        var insert = database.Kind == DatabaseKind.Postgres ? "INSERT" : "INSERT OR IGNORE";
        await database.InTransactionAsync(async (connection, tx) =>
        {
            await connection.ExecuteAsync($"{insert} INTO usage_records ({Columns}) VALUES ({Values}){conflict}", records, tx);
            return true;
        }, ct);
    }

    public async Task<UsageRecord?> GetAsync(string id, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<UsageRecord>($"SELECT {Columns} FROM usage_records WHERE id = @id", new { id });
    }

    public async Task<Page<UsageRecord>> ListAsync(string? customerId, string? keyId, string? model, PageRequest page, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = (await connection.QueryAsync<UsageRecord>(
            $"""
            SELECT {Columns} FROM usage_records
            WHERE (@Cursor IS NULL OR id < @Cursor)
              AND (@CustomerId IS NULL OR customer_id = @CustomerId)
              AND (@KeyId IS NULL OR key_id = @KeyId)
              AND (@Model IS NULL OR requested_model = @Model)
            ORDER BY id DESC
            LIMIT @Take
            """,
            new { page.Cursor, CustomerId = customerId, KeyId = keyId, Model = model, Take = page.Size + 1 })).ToList();
        return Page<UsageRecord>.From(rows, page.Size, r => r.Id);
    }
}
