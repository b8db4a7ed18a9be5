using Dapper;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Billing.Balances;

/// <summary>A customer's credit balance in one currency: what its next invoices in that currency will use after tax.</summary>
public sealed record CurrencyBalance(string Currency, long Amount);

/// <summary><c>GET /api/v1/customers/{id}/balance</c>: the customer's credit balance per currency.</summary>
public sealed record CustomerBalanceSummary(string CustomerId, IReadOnlyList<CurrencyBalance> Balances);

/// <summary>One transaction of a customer's balance: a credit (positive) or a use by an invoice (negative).</summary>
public sealed record BalanceTransaction(string Id, string Currency, long Amount, string Description, string? InvoiceId, DateTimeOffset CreatedAt);

/// <summary>Reads the customer balance ledger (<see cref="CustomerBalance"/>): balances per currency, and the transactions newest first.</summary>
public sealed class BalanceStore(Database database)
{
    /// <summary>The customer's balance in each currency it ever had one in (a balance used up shows as 0); null for no such customer.</summary>
    public async Task<CustomerBalanceSummary?> SummaryAsync(string customerId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        if (!await CustomerExistsAsync(connection, customerId)) return null;
        var balances = await connection.QueryAsync<(string Currency, long Amount)>(
            "SELECT currency, SUM(amount) FROM balance_transactions WHERE customer_id = @customerId GROUP BY currency ORDER BY currency", new { customerId });
        return new CustomerBalanceSummary(customerId, [.. balances.Select(b => new CurrencyBalance(b.Currency, b.Amount))]);
    }

    /// <summary>A page of the customer's balance transactions, newest first; null for no such customer.</summary>
    public async Task<Page<BalanceTransaction>?> TransactionsAsync(string customerId, PageRequest page, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        if (!await CustomerExistsAsync(connection, customerId)) return null;
        var rows = await connection.QueryAsync<(string Id, string Currency, long Amount, string Description, string? InvoiceId, DateTimeOffset CreatedAt)>(
            """
            SELECT id, currency, amount, description, invoice_id, created_at FROM balance_transactions
            WHERE customer_id = @customerId AND (@Cursor IS NULL OR id < @Cursor)
            ORDER BY id DESC LIMIT @Take
            """, new { customerId, page.Cursor, Take = page.Size + 1 });
        return Page<BalanceTransaction>.From([.. rows.Select(r => new BalanceTransaction(r.Id, r.Currency, r.Amount, r.Description, r.InvoiceId, r.CreatedAt))], page.Size, t => t.Id);
    }

    static Task<bool> CustomerExistsAsync(System.Data.Common.DbConnection connection, string customerId) =>
        connection.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM customers WHERE id = @customerId AND deleted_at IS NULL)", new { customerId });
}
