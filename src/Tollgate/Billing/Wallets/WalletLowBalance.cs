namespace Tollgate.Billing.Wallets;

/// <summary>The <c>wallet.low_balance</c> event: a wallet whose balance fell below its threshold (minor units of its currency).</summary>
public sealed record WalletLowBalance(string WalletId, string Currency, long Balance, long LowBalanceThreshold);
