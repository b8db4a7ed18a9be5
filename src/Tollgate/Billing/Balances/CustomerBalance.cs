using System.Data.Common;
using Dapper;

namespace Tollgate.Billing.Balances;

/// <summary>
/// A customer's credit balance per currency: a ledger of transactions, credits positive (a downgrade's unused time),
/// uses negative (applied to an invoice when it is finalized, after tax). The balance is their sum and never negative.
/// </summary>
public static class CustomerBalance
{
    public const string TransactionPrefix = "cbtx";

    public static async Task<long> OfAsync(DbTransaction tx, string customerId, string currency) =>
        await tx.Connection!.ExecuteScalarAsync<long?>(
            "SELECT SUM(amount) FROM balance_transactions WHERE customer_id = @customerId AND currency = @currency", new { customerId, currency }, tx) ?? 0;

    /// <summary>One transaction of the ledger: a credit (positive) or a use (negative), and the invoice it went to.</summary>
    public sealed record Entry(string Id, string CustomerId, string Currency, long Amount, string Description, string? InvoiceId, DateTimeOffset CreatedAt);

    public static Task RecordAsync(DbTransaction tx, string id, string customerId, string currency, long amount, string description, string? invoiceId, DateTimeOffset now) =>
        RecordManyAsync(tx, [new Entry(id, customerId, currency, amount, description, invoiceId, now)]);

    public static Task RecordManyAsync(DbTransaction tx, IReadOnlyList<Entry> entries) =>
        Storage.BulkInsert.InsertNewAsync(tx.Connection!, tx, "balance_transactions", "id", Columns, entries, CancellationToken.None);

    static readonly IReadOnlyList<Storage.BulkColumn<Entry>> Columns =
    [
        Storage.BulkColumn<Entry>.Text("id", e => e.Id),
        Storage.BulkColumn<Entry>.Text("customer_id", e => e.CustomerId),
        Storage.BulkColumn<Entry>.Text("currency", e => e.Currency),
        Storage.BulkColumn<Entry>.Long("amount", e => e.Amount),
        Storage.BulkColumn<Entry>.Text("description", e => e.Description),
        Storage.BulkColumn<Entry>.Text("invoice_id", e => e.InvoiceId),
        Storage.BulkColumn<Entry>.Timestamp("created_at", e => e.CreatedAt),
    ];
}
