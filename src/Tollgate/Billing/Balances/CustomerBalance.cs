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

    public static Task RecordAsync(DbTransaction tx, string id, string customerId, string currency, long amount, string description, string? invoiceId, DateTimeOffset now) =>
        tx.Connection!.ExecuteAsync(
            """
            INSERT INTO balance_transactions (id, customer_id, currency, amount, description, invoice_id, created_at)
            VALUES (@id, @customerId, @currency, @amount, @description, @invoiceId, @now)
            """,
            new { id, customerId, currency, amount, description, invoiceId, now }, tx);
}
