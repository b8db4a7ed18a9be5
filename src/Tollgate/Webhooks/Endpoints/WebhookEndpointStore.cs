using System.Data.Common;
using System.Text.Json;
using Dapper;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Webhooks.Endpoints;

/// <summary>The rows of webhook endpoints. Deleted ones are kept (their attempts refer to them) and never listed.</summary>
public sealed class WebhookEndpointStore(Database database)
{
    public const string IdPrefix = "we";

    const string Columns =
        "id, customer_id, url, description, events, secret_sealed, previous_secret_sealed, previous_secret_until, mode, status, disabled_reason, failing_since, created_at, updated_at";

    public static Task InsertAsync(DbTransaction tx, WebhookEndpoint e) =>
        tx.Connection!.ExecuteAsync(
            $"""
            INSERT INTO webhook_endpoints ({Columns})
            VALUES (@Id, @CustomerId, @Url, @Description, @events, @SecretSealed, @PreviousSecretSealed, @PreviousSecretUntil, @Mode, @Status, @DisabledReason, @FailingSince,
                    @CreatedAt, @UpdatedAt)
            """, Parameters(e), tx);

    public static Task UpdateAsync(DbTransaction tx, WebhookEndpoint e) =>
        tx.Connection!.ExecuteAsync(
            """
            UPDATE webhook_endpoints SET url = @Url, description = @Description, events = @events, secret_sealed = @SecretSealed,
                previous_secret_sealed = @PreviousSecretSealed, previous_secret_until = @PreviousSecretUntil, status = @Status, disabled_reason = @DisabledReason,
                failing_since = @FailingSince, updated_at = @UpdatedAt
            WHERE id = @Id
            """, Parameters(e), tx);

    public static Task DeleteAsync(DbTransaction tx, string id, DateTimeOffset now) =>
        tx.Connection!.ExecuteAsync("UPDATE webhook_endpoints SET deleted_at = @now, status = 'disabled', updated_at = @now WHERE id = @id", new { id, now }, tx);

    static object Parameters(WebhookEndpoint e) => new
    {
        e.Id, e.CustomerId, e.Url, e.Description, events = JsonSerializer.Serialize(e.Events), e.SecretSealed, e.PreviousSecretSealed, e.PreviousSecretUntil, e.Mode,
        e.Status, e.DisabledReason, e.FailingSince, e.CreatedAt, e.UpdatedAt,
    };

    public async Task<WebhookEndpoint?> FindAsync(DbTransaction tx, string id) =>
        (await tx.Connection!.QuerySingleOrDefaultAsync<Row>(
            $"SELECT {Columns} FROM webhook_endpoints WHERE id = @id AND deleted_at IS NULL{database.ForUpdate}", new { id }, tx))?.ToEndpoint();

    public async Task<WebhookEndpoint?> GetAsync(string id, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return (await connection.QuerySingleOrDefaultAsync<Row>($"SELECT {Columns} FROM webhook_endpoints WHERE id = @id AND deleted_at IS NULL", new { id }))?.ToEndpoint();
    }

    /// <summary>Newest first; <paramref name="customerId"/> null lists every endpoint, the operator's among them.</summary>
    public async Task<Page<WebhookEndpoint>> ListAsync(string? customerId, PageRequest page, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = (await connection.QueryAsync<Row>(
            $"""
            SELECT {Columns} FROM webhook_endpoints
            WHERE deleted_at IS NULL AND (@customerId IS NULL OR customer_id = @customerId) AND (@Cursor IS NULL OR id < @Cursor)
            ORDER BY id DESC LIMIT @take
            """, new { customerId, page.Cursor, take = page.Size + 1 })).Select(r => r.ToEndpoint()).ToList();
        return Page<WebhookEndpoint>.From(rows, page.Size, e => e.Id);
    }

    /// <summary>How many endpoints (not deleted) the customer has, or the operator when <paramref name="customerId"/> is null.</summary>
    public static Task<long> CountAsync(DbTransaction tx, string? customerId) =>
        tx.Connection!.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM webhook_endpoints WHERE deleted_at IS NULL AND (customer_id = @customerId OR (@customerId IS NULL AND customer_id IS NULL))", new { customerId }, tx);

    /// <summary>Every enabled endpoint, for the fan-out to match events against.</summary>
    public static async Task<IReadOnlyList<WebhookEndpoint>> EnabledAsync(DbConnection connection, DbTransaction? tx) =>
        [.. (await connection.QueryAsync<Row>($"SELECT {Columns} FROM webhook_endpoints WHERE deleted_at IS NULL AND status = 'enabled'", transaction: tx)).Select(r => r.ToEndpoint())];

    sealed class Row
    {
        public string Id { get; init; } = "";
        public string? CustomerId { get; init; }
        public string Url { get; init; } = "";
        public string? Description { get; init; }
        public string Events { get; init; } = "[]";
        public string SecretSealed { get; init; } = "";
        public string? PreviousSecretSealed { get; init; }
        public DateTimeOffset? PreviousSecretUntil { get; init; }
        public string Mode { get; init; } = "";
        public string Status { get; init; } = "";
        public string? DisabledReason { get; init; }
        public DateTimeOffset? FailingSince { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }

        public WebhookEndpoint ToEndpoint() => new()
        {
            Id = Id, CustomerId = CustomerId, Url = Url, Description = Description, Events = JsonSerializer.Deserialize<List<string>>(Events) ?? [], SecretSealed = SecretSealed,
            PreviousSecretSealed = PreviousSecretSealed, PreviousSecretUntil = PreviousSecretUntil, Mode = Mode, Status = Status, DisabledReason = DisabledReason,
            FailingSince = FailingSince, CreatedAt = CreatedAt, UpdatedAt = UpdatedAt,
        };
    }
}
