using Dapper;
using Tollgate.Common;
using Tollgate.Metering;
using Tollgate.Storage;

namespace Tollgate.Gateway.Usage;

public sealed class UsageStore(Database database)
{
    const string Columns =
        "id, customer_id, key_id, mode, end_user, operation, requested_model, served_model, provider, input_tokens, output_tokens, " +
        "cached_tokens, cache_write_tokens, reasoning_tokens, images, status, http_status, error_code, streamed, usage_estimated, " +
        "cache_hit, attempts, latency_ms, time_to_first_token_ms, cost_nanos, charge_nanos, price_version, created_at";

    static readonly BulkColumn<UsageRecord>[] Bulk =
    [
        BulkColumn<UsageRecord>.Text("id", r => r.Id),
        BulkColumn<UsageRecord>.Text("customer_id", r => r.CustomerId),
        BulkColumn<UsageRecord>.Text("key_id", r => r.KeyId),
        BulkColumn<UsageRecord>.Text("mode", r => r.Mode),
        BulkColumn<UsageRecord>.Text("end_user", r => r.EndUser),
        BulkColumn<UsageRecord>.Text("operation", r => r.Operation),
        BulkColumn<UsageRecord>.Text("requested_model", r => r.RequestedModel),
        BulkColumn<UsageRecord>.Text("served_model", r => r.ServedModel),
        BulkColumn<UsageRecord>.Text("provider", r => r.Provider),
        BulkColumn<UsageRecord>.Long("input_tokens", r => r.InputTokens),
        BulkColumn<UsageRecord>.Long("output_tokens", r => r.OutputTokens),
        BulkColumn<UsageRecord>.Long("cached_tokens", r => r.CachedTokens),
        BulkColumn<UsageRecord>.Long("cache_write_tokens", r => r.CacheWriteTokens),
        BulkColumn<UsageRecord>.Long("reasoning_tokens", r => r.ReasoningTokens),
        BulkColumn<UsageRecord>.Int("images", r => r.Images),
        BulkColumn<UsageRecord>.Text("status", r => r.Status),
        BulkColumn<UsageRecord>.Int("http_status", r => r.HttpStatus),
        BulkColumn<UsageRecord>.Text("error_code", r => r.ErrorCode),
        BulkColumn<UsageRecord>.Bool("streamed", r => r.Streamed),
        BulkColumn<UsageRecord>.Bool("usage_estimated", r => r.UsageEstimated),
        BulkColumn<UsageRecord>.Bool("cache_hit", r => r.CacheHit),
        BulkColumn<UsageRecord>.Int("attempts", r => r.Attempts),
        BulkColumn<UsageRecord>.Long("latency_ms", r => r.LatencyMs),
        BulkColumn<UsageRecord>.NullableLong("time_to_first_token_ms", r => r.TimeToFirstTokenMs),
        BulkColumn<UsageRecord>.Long("cost_nanos", r => r.CostNanos),
        BulkColumn<UsageRecord>.Long("charge_nanos", r => r.ChargeNanos),
        BulkColumn<UsageRecord>.Text("price_version", r => r.PriceVersion),
        BulkColumn<UsageRecord>.Timestamp("created_at", r => r.CreatedAt),
    ];

    /// <summary>
    /// Writes a batch in one transaction and returns the ids of the records that were new. A record already written
    /// (same request id) is skipped, so a retried batch counts once. The records are the one stored form of gateway usage: metrics, events, limits and reconciliation
    /// all read them (<see cref="GatewayEventSource"/>), nothing keeps a copy.
    /// </summary>
    public Task<IReadOnlySet<string>> InsertAsync(IReadOnlyList<UsageRecord> records, CancellationToken ct) =>
        database.InTransactionAsync((connection, tx) => BulkInsert.InsertNewReturningAsync(connection, tx, "usage_records", "id", Bulk, records, ("id", r => r.Id), ct), ct);

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
