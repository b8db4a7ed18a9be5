using System.Data.Common;
using Dapper;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Payments.Checkout;

public sealed class CheckoutStore(Database database)
{
    public const string IdPrefix = "chk";

    const string Columns =
        "id, customer_id, provider, provider_session_id, plan, interval, currency, quantity, subscription_id, invoice_id, amount, url, success_url, cancel_url, status, expires_at, created_at, completed_at";

    public static Task InsertAsync(DbTransaction tx, CheckoutSession s) =>
        tx.Connection!.ExecuteAsync(
            $"""
            INSERT INTO checkout_sessions ({Columns})
            VALUES (@Id, @CustomerId, @Provider, @ProviderSessionId, @Plan, @interval, @Currency, @Quantity, @SubscriptionId, @InvoiceId, @Amount, @Url,
                    @SuccessUrl, @CancelUrl, @Status, @ExpiresAt, @CreatedAt, @CompletedAt)
            """, Parameters(s), tx);

    public static Task UpdateAsync(DbTransaction tx, CheckoutSession s) =>
        tx.Connection!.ExecuteAsync(
            """
            UPDATE checkout_sessions SET provider_session_id = @ProviderSessionId, subscription_id = @SubscriptionId, url = @Url, status = @Status,
                expires_at = @ExpiresAt, completed_at = @CompletedAt
            WHERE id = @Id
            """, Parameters(s), tx);

    static object Parameters(CheckoutSession s) => new
    {
        s.Id, s.CustomerId, s.Provider, s.ProviderSessionId, s.Plan, interval = EnumText.Snake(s.Interval), s.Currency, s.Quantity, s.SubscriptionId, s.InvoiceId,
        s.Amount, s.Url, s.SuccessUrl, s.CancelUrl, s.Status, s.ExpiresAt, s.CreatedAt, s.CompletedAt,
    };

    public async Task<CheckoutSession?> FindByProviderAsync(DbTransaction tx, string provider, string providerSessionId) =>
        (await tx.Connection!.QuerySingleOrDefaultAsync<Row>(
            $"SELECT {Columns} FROM checkout_sessions WHERE provider = @provider AND provider_session_id = @providerSessionId{database.ForUpdate}",
            new { provider, providerSessionId }, tx))?.ToSession();

    public async Task<CheckoutSession?> FindAsync(DbTransaction tx, string id) =>
        (await tx.Connection!.QuerySingleOrDefaultAsync<Row>($"SELECT {Columns} FROM checkout_sessions WHERE id = @id{database.ForUpdate}", new { id }, tx))?.ToSession();

    public async Task<CheckoutSession?> GetAsync(string id, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return (await connection.QuerySingleOrDefaultAsync<Row>($"SELECT {Columns} FROM checkout_sessions WHERE id = @id", new { id }))?.ToSession();
    }

    sealed class Row
    {
        public string Id { get; init; } = "";
        public string CustomerId { get; init; } = "";
        public string Provider { get; init; } = "";
        public string? ProviderSessionId { get; init; }
        public string Plan { get; init; } = "";
        public string Interval { get; init; } = "";
        public string Currency { get; init; } = "";
        public long Quantity { get; init; }
        public string? SubscriptionId { get; init; }
        public string? InvoiceId { get; init; }
        public long Amount { get; init; }
        public string? Url { get; init; }
        public string SuccessUrl { get; init; } = "";
        public string CancelUrl { get; init; } = "";
        public string Status { get; init; } = "";
        public DateTimeOffset ExpiresAt { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset? CompletedAt { get; init; }

        public CheckoutSession ToSession() => new()
        {
            Id = Id, CustomerId = CustomerId, Provider = Provider, ProviderSessionId = ProviderSessionId, Plan = Plan, Interval = EnumText.Parse<BillingInterval>(Interval),
            Currency = Currency, Quantity = Quantity, SubscriptionId = SubscriptionId, InvoiceId = InvoiceId, Amount = Amount, Url = Url, SuccessUrl = SuccessUrl,
            CancelUrl = CancelUrl, Status = Status, ExpiresAt = ExpiresAt, CreatedAt = CreatedAt, CompletedAt = CompletedAt,
        };
    }
}
