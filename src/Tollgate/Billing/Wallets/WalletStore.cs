using System.Data.Common;
using Dapper;
using Tollgate.Audit;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Billing.Wallets;

/// <summary>Wallets and their history; their use by invoices happens in the invoice's own transaction (<see cref="ApplyInAsync"/>).</summary>
public sealed class WalletStore(Database database, AuditLog audit, Clocks.BillingClock clock, TimeProvider time)
{
    public const string Prefix = "wlt";
    const string TransactionPrefix = "wtx";

    public Task<Result<Wallet>> CreateAsync(string customerId, CreateWalletRequest request, Actor actor, CancellationToken ct)
    {
        var check = new Validation();
        var currency = Currencies.Normalize(request.Currency);
        if (currency is null) check.Add("currency", "is required: an ISO 4217 code.");
        if (request.Amount is not { } amount) check.Add("amount", "is required.");
        else check.Range("amount", amount, 1, CatalogRules.MaxAmount);
        if (request.Priority is { } priority) check.Range("priority", priority, 1, 1000);
        if (request.LowBalanceThreshold is { } threshold) check.Range("low_balance_threshold", threshold, 0, CatalogRules.MaxAmount);
        check.Text("name", request.Name, required: false, 100);
        if (check.Failed) return Task.FromResult<Result<Wallet>>(check.ToError());

        return database.InTransactionAsync<Wallet>(async (connection, tx) =>
        {
            if (!await Customers.CustomerStore.ExistsInAsync(tx, customerId)) return ApiError.NotFound("customer", customerId);
            Clocks.BillingClock.Enter(await Clocks.BillingClock.OfCustomerAsync(tx, customerId));
            var now = clock.Now;
            if (request.ExpiresAt is { } expires && expires <= now) return ApiError.Invalid("expires_at", "must be in the future.");
            var id = Ids.New(Prefix, time);
            await connection.ExecuteAsync(
                """
                INSERT INTO wallets (id, customer_id, currency, name, priority, expires_at, low_balance_threshold, created_at)
                VALUES (@id, @customerId, @currency, @Name, @priority, @ExpiresAt, @LowBalanceThreshold, @now)
                """, new { id, customerId, currency, request.Name, priority = request.Priority ?? 100, request.ExpiresAt, request.LowBalanceThreshold, now }, tx);
            await RecordAsync(tx, id, request.Paid == true ? WalletTransactionKind.Purchased : WalletTransactionKind.Granted, request.Amount!.Value, null, now);
            var wallet = (await ListInAsync(tx, customerId)).Single(w => w.Id == id);
            await audit.RecordAsync(tx, actor, "wallet.created", "wallet", id, null, wallet, customerId);
            return wallet;
        }, ct);
    }

    public Task<Result<Wallet>> TopUpAsync(string customerId, string walletId, TopUpRequest request, Actor actor, CancellationToken ct)
    {
        if (request.Amount is not { } amount || amount < 1 || amount > CatalogRules.MaxAmount)
        {
            return Task.FromResult<Result<Wallet>>(ApiError.Invalid("amount", $"must be between 1 and {CatalogRules.MaxAmount}."));
        }

        return database.InTransactionAsync<Wallet>(async (connection, tx) =>
        {
            Clocks.BillingClock.Enter(await Clocks.BillingClock.OfCustomerAsync(tx, customerId));
            var before = (await ListInAsync(tx, customerId)).FirstOrDefault(w => w.Id == walletId);
            if (before is null) return ApiError.NotFound("wallet", walletId);
            if (before.Expired) return new ApiError("wallet_expired", StatusCodes.Status409Conflict, $"Wallet {walletId} expired; create a new one.");
            await RecordAsync(tx, walletId, request.Paid == true ? WalletTransactionKind.Purchased : WalletTransactionKind.Granted, amount, null, clock.Now);
            var after = (await ListInAsync(tx, customerId)).Single(w => w.Id == walletId);
            await audit.RecordAsync(tx, actor, "wallet.topped_up", "wallet", walletId, before, after, customerId);
            return after;
        }, ct);
    }

    public async Task<IReadOnlyList<Wallet>> ListAsync(string customerId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await Database.BeginReadAsync(connection, ct);
        return await ListInAsync(tx, customerId);
    }

    /// <summary>
    /// Uses the customer's wallets in <paramref name="currency"/> for up to <paramref name="due"/>, in the invoice's
    /// transaction: the lowest priority first, then the soonest to expire, never an expired one. Returns what they
    /// covered; a wallet falling below its low-balance threshold raises <c>wallet.low_balance</c>.
    /// </summary>
    public async Task<long> ApplyInAsync(DbTransaction tx, string customerId, string currency, long due, string invoiceId)
    {
        if (due <= 0) return 0;
        var now = clock.Now;
        var wallets = (await ListInAsync(tx, customerId, forUpdate: true))
            .Where(w => w.Currency == currency && !w.Expired && w.Balance > 0)
            .OrderBy(w => w.Priority).ThenBy(w => w.ExpiresAt ?? DateTimeOffset.MaxValue).ThenBy(w => w.Id, StringComparer.Ordinal);
        var covered = 0L;
        foreach (var wallet in wallets)
        {
            var take = Math.Min(wallet.Balance, due - covered);
            if (take <= 0) break;
            await RecordAsync(tx, wallet.Id, WalletTransactionKind.Applied, -take, invoiceId, now);
            covered += take;
            var left = wallet.Balance - take;
            if (wallet.LowBalanceThreshold is { } threshold && wallet.Balance >= threshold && left < threshold)
            {
                await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "wallet.low_balance", customerId,
                    new WalletLowBalance(wallet.Id, wallet.Currency, left, threshold), now);
            }
        }

        return covered;
    }

    Task RecordAsync(DbTransaction tx, string walletId, WalletTransactionKind kind, long amount, string? invoiceId, DateTimeOffset now) =>
        tx.Connection!.ExecuteAsync(
            "INSERT INTO wallet_transactions (id, wallet_id, kind, amount, invoice_id, created_at) VALUES (@id, @walletId, @kind, @amount, @invoiceId, @now)",
            new { id = Ids.New(TransactionPrefix, time), walletId, kind = EnumText.Snake(kind), amount, invoiceId, now }, tx);

    async Task<IReadOnlyList<Wallet>> ListInAsync(DbTransaction tx, string customerId, bool forUpdate = false)
    {
        var connection = tx.Connection!;
        var wallets = (await connection.QueryAsync<(string Id, string Currency, string? Name, long Priority, DateTimeOffset? ExpiresAt, long? Threshold, DateTimeOffset CreatedAt)>(
            $"SELECT id, currency, name, priority, expires_at, low_balance_threshold, created_at FROM wallets WHERE customer_id = @customerId ORDER BY id{(forUpdate ? database.ForUpdate : "")}",
            new { customerId }, tx)).ToList();
        var history = (await connection.QueryAsync<(string Id, string WalletId, string Kind, long Amount, string? InvoiceId, DateTimeOffset CreatedAt)>(
            """
            SELECT t.id, t.wallet_id, t.kind, t.amount, t.invoice_id, t.created_at FROM wallet_transactions t JOIN wallets w ON w.id = t.wallet_id
            WHERE w.customer_id = @customerId ORDER BY t.id
            """, new { customerId }, tx)).ToLookup(t => t.WalletId);
        var now = clock.Now;
        return [.. wallets.Select(w =>
        {
            var transactions = history[w.Id].Select(t => new WalletTransaction(t.Id, EnumText.Parse<WalletTransactionKind>(t.Kind), t.Amount, t.InvoiceId, t.CreatedAt)).ToList();
            return new Wallet(w.Id, customerId, w.Currency, w.Name, (int)w.Priority, w.ExpiresAt, w.Threshold, transactions.Sum(t => t.Amount),
                w.ExpiresAt is { } end && end <= now, w.CreatedAt, transactions);
        })];
    }
}
