using System.Data.Common;
using Dapper;

namespace Tollgate.Web;

/// <summary>
/// Wrong passwords in a row lock an account for a while, whatever the password tried next. The count and the lock
/// are one statement, so attempts racing on several nodes each count; the count starts again after a right one.
/// </summary>
public static class Lockout
{
    /// <summary>The tables whose rows sign in: their <c>failed_attempts</c> and <c>locked_until</c>.</summary>
    public enum Accounts
    {
        OperatorUsers,
        Members,
    }

    static string Table(Accounts accounts) => accounts switch
    {
        Accounts.OperatorUsers => "operator_users",
        Accounts.Members => "members",
        _ => throw new ArgumentOutOfRangeException(nameof(accounts)),
    };

    /// <summary>Counts a wrong password for <paramref name="id"/>; the end of the lock when this one locked the account.</summary>
    public static async Task<DateTimeOffset?> FailedAsync(
        DbTransaction tx, Accounts accounts, string id, int maxAttempts, TimeSpan duration, DateTimeOffset now)
    {
        var table = Table(accounts);
        await tx.Connection!.ExecuteAsync(
            $"""
            UPDATE {table} SET
                locked_until = CASE WHEN failed_attempts + 1 >= @maxAttempts THEN @until ELSE locked_until END,
                failed_attempts = CASE WHEN failed_attempts + 1 >= @maxAttempts THEN 0 ELSE failed_attempts + 1 END
            WHERE id = @id
            """, new { id, maxAttempts, until = now + duration }, tx);
        var locked = await tx.Connection!.QuerySingleOrDefaultAsync<DateTimeOffset?>(
            $"SELECT locked_until FROM {table} WHERE id = @id AND locked_until IS NOT NULL", new { id }, tx);
        return locked > now ? locked : null;
    }

    /// <summary>
    /// A right password: unless a wrong one racing it locked the account meanwhile (checked again here, on the row
    /// locked for this transaction), the count starts again and the hash is replaced when it should be. False when locked.
    /// </summary>
    public static async Task<bool> SucceededAsync(DbTransaction tx, Accounts accounts, string id, string? rehash, DateTimeOffset now)
    {
        var table = Table(accounts);
        var forUpdate = tx.Connection is Npgsql.NpgsqlConnection ? " FOR UPDATE" : ""; // SQLite's writer lock already serializes
        var locked = await tx.Connection!.QuerySingleOrDefaultAsync<DateTimeOffset?>(
            $"SELECT locked_until FROM {table} WHERE id = @id AND locked_until IS NOT NULL{forUpdate}", new { id }, tx);
        if (locked > now) return false;
        await tx.Connection!.ExecuteAsync(
            $"UPDATE {table} SET failed_attempts = 0, locked_until = NULL, password_hash = COALESCE(@rehash, password_hash) WHERE id = @id",
            new { id, rehash }, tx);
        return true;
    }
}
