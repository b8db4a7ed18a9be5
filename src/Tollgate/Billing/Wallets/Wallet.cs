using System.ComponentModel.DataAnnotations;

namespace Tollgate.Billing.Wallets;

public enum WalletTransactionKind
{
    /// <summary>Credit given by the operator.</summary>
    Granted,

    /// <summary>Credit the customer paid for.</summary>
    Purchased,

    /// <summary>Credit used by an invoice, after tax.</summary>
    Applied,
}

/// <summary>One entry of a wallet's history: credits positive, uses negative; the balance is their sum.</summary>
public sealed record WalletTransaction(string Id, WalletTransactionKind Kind, long Amount, string? InvoiceId, DateTimeOffset CreatedAt);

/// <summary>
/// Prepaid credit in money, in one currency. A customer may hold several: invoices use them after tax, the lowest
/// <see cref="Priority"/> first, then the one expiring soonest. An expired wallet is used no more; what was left in it
/// stays in its history.
/// </summary>
public sealed record Wallet(
    string Id, string CustomerId, string Currency, string? Name, int Priority, DateTimeOffset? ExpiresAt, long? LowBalanceThreshold,
    long Balance, bool Expired, DateTimeOffset CreatedAt, IReadOnlyList<WalletTransaction> Transactions);

/// <summary><c>POST /api/v1/customers/{id}/wallets</c>: a wallet credited at once with <c>amount</c>.</summary>
public sealed record CreateWalletRequest(
    [property: Required] string? Currency, [property: Required] long? Amount, int? Priority = null, DateTimeOffset? ExpiresAt = null,
    string? Name = null, bool? Paid = null, long? LowBalanceThreshold = null);

/// <summary><c>POST /api/v1/customers/{id}/wallets/{walletId}/top-up</c>.</summary>
public sealed record TopUpRequest([property: Required] long? Amount, bool? Paid = null);
