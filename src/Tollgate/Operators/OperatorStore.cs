using Tollgate.Web;
using System.Data.Common;
using System.Net.Mail;
using Dapper;
using Microsoft.Extensions.Options;
using Tollgate.ApiKeys;
using Tollgate.Audit;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Operators;

/// <summary>How a sign-in went: the session's secret token and its user, or why not (never whether the email exists).</summary>
public sealed record SignInOutcome(string? Token, OperatorUser? User, DateTimeOffset? LockedUntil)
{
    public bool Succeeded => Token is not null;
}

/// <summary>
/// Operator users and their sessions. Passwords are hashed (<see cref="Passwords"/>); a session is a random token in an HttpOnly cookie, stored only as its
/// SHA-256, so a stolen database signs no one in. Wrong passwords in a row lock the account for a while, whatever
/// the password tried next (<see cref="OperatorOptions"/>).
/// </summary>
public sealed class OperatorStore(Database database, AuditLog audit, IOptions<OperatorOptions> options, TimeProvider time)
{
    public const string TokenPrefix = "tgo_";
    const string SessionPrefix = "opss";
    const string UserPrefix = "opr";

    public async Task<Result<OperatorUser>> CreateAsync(string? email, string? name, OperatorRole role, string? password, Actor actor, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var normalized = NormalizeEmail(email);
        if (normalized is null) errors["email"] = ["must be an email address."];
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200) errors["name"] = ["is required, at most 200 characters."];
        if (!Passwords.Acceptable(password)) errors["password"] = [$"must be {Passwords.MinimumLength} to {Passwords.MaximumLength:N0} characters."];
        if (errors.Count > 0) return ApiError.Invalid(errors);

        var now = time.Now();
        var user = new OperatorUser(Ids.New(UserPrefix, time), normalized!, name!.Trim(), role, now, null);
        try
        {
            return await database.InTransactionAsync<OperatorUser>(async (connection, tx) =>
            {
                if (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM operator_users WHERE email = @normalized", new { normalized }, tx) > 0)
                    return EmailTaken(normalized!);
                await connection.ExecuteAsync(
                    """
                    INSERT INTO operator_users (id, email, name, role, password_hash, failed_attempts, created_at, updated_at)
                    VALUES (@Id, @Email, @Name, @role, @hash, 0, @CreatedAt, @CreatedAt)
                    """, new { user.Id, user.Email, user.Name, role = role.Name(), hash = Passwords.Hash(password!), user.CreatedAt }, tx);
                await audit.RecordAsync(tx, actor, "operator.created", "operator", user.Id, null, new { user.Email, user.Name, role = role.Name() });
                return user;
            }, ct);
        }
        catch (DbException e) when (DbErrors.IsUniqueViolation(e))
        {
            return EmailTaken(normalized!);
        }
    }

    static ApiError EmailTaken(string email) => ApiError.Conflict("operator_exists", $"There is already an operator '{email}'.");

    public async Task<int> CountAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return checked((int)await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM operator_users"));
    }

    public async Task<IReadOnlyList<OperatorUser>> ListAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return [.. (await connection.QueryAsync<UserRow>($"SELECT {UserColumns} FROM operator_users ORDER BY email")).Select(r => r.ToUser())];
    }

    /// <summary>
    /// Checks the password and, when it is right and the account not locked, starts a session. A wrong one counts
    /// towards the lock-out; the count starts again after a right one.
    /// </summary>
    public async Task<SignInOutcome> SignInAsync(string? email, string? password, string? userAgent, string? address, CancellationToken ct)
    {
        var normalized = NormalizeEmail(email);
        var now = time.Now();
        UserRow? row = null;
        if (normalized is not null)
        {
            await using var connection = await database.OpenAsync(ct);
            row = await connection.QuerySingleOrDefaultAsync<UserRow>($"SELECT {UserColumns}, password_hash FROM operator_users WHERE email = @normalized", new { normalized });
        }

        if (row is null)
        {
            Passwords.Verify(null, password);
            return new SignInOutcome(null, null, null);
        }

        if (row.LockedUntil is { } locked && locked > now) return new SignInOutcome(null, null, locked);
        var user = row.ToUser();
        var (right, rehashNeeded) = Passwords.Verify(row.PasswordHash, password);
        if (!right) return await FailedAsync(user, now, ct);

        var token = RandomText.Secret(TokenPrefix, 43);
        var sessionId = Ids.New(SessionPrefix, time);
        var started = await database.InTransactionAsync(async (connection, tx) =>
        {
            var rehash = rehashNeeded ? Passwords.Hash(password!) : null;
            if (!await Lockout.SucceededAsync(tx, Lockout.Accounts.OperatorUsers, user.Id, rehash, now)) return false;
            await connection.ExecuteAsync(
                """
                INSERT INTO operator_sessions (id, token_hash, user_id, created_at, last_seen_at, expires_at, user_agent, address)
                VALUES (@sessionId, @hash, @Id, @now, @now, @expires, @userAgent, @address)
                """,
                new { sessionId, hash = KeyHash.Of(token).ToHex(), user.Id, now, expires = now + options.Value.SessionLifetime, userAgent = Clip(userAgent, 300), address = Clip(address, 64) }, tx);
            await audit.RecordAsync(tx, Of(user), "operator.signed_in", "operator", user.Id, null, new { session = sessionId, address });
            return true;
        }, ct);
        // A wrong password racing this one locked the account first: the lock holds.
        return started ? new SignInOutcome(token, user with { LockedUntil = null }, null) : new SignInOutcome(null, null, now + options.Value.LockoutDuration);
    }

    async Task<SignInOutcome> FailedAsync(OperatorUser user, DateTimeOffset now, CancellationToken ct)
    {
        var lockedUntil = await database.InTransactionAsync(async (connection, tx) =>
        {
            var locked = await Lockout.FailedAsync(tx, Lockout.Accounts.OperatorUsers, user.Id, options.Value.MaxFailedAttempts, options.Value.LockoutDuration, now);
            if (locked is not null) await audit.RecordAsync(tx, Actor.System, "operator.locked_out", "operator", user.Id, null, new { locked_until = locked });
            return locked;
        }, ct);
        return new SignInOutcome(null, null, lockedUntil);
    }

    /// <summary>The operator a session token belongs to, while the session lives; its last use noted at most once a minute.</summary>
    public async Task<SignedInOperator?> AuthenticateAsync(string? token, CancellationToken ct)
    {
        if (token is null || !token.StartsWith(TokenPrefix, StringComparison.Ordinal) || token.Length > 100) return null;
        var now = time.Now();
        await using var connection = await database.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<SessionRow>(
            """
            SELECT s.id AS session_id, s.last_seen_at, s.expires_at, u.id, u.email, u.name, u.role, u.created_at, u.locked_until
            FROM operator_sessions s JOIN operator_users u ON u.id = s.user_id
            WHERE s.token_hash = @hash AND s.revoked_at IS NULL
            """, new { hash = KeyHash.Of(token).ToHex() });
        if (row is null || row.ExpiresAt <= now || row.LastSeenAt + options.Value.SessionIdleTimeout <= now) return null;
        if (now - row.LastSeenAt >= TimeSpan.FromMinutes(1))
        {
            using (await database.WriterTurnAsync(ct))
                await connection.ExecuteAsync("UPDATE operator_sessions SET last_seen_at = @now WHERE id = @SessionId", new { now, row.SessionId });
        }

        return new SignedInOperator(row.ToUser(), row.SessionId, FormTokens.Csrf(token));
    }

    public async Task<IReadOnlyList<OperatorSession>> SessionsAsync(string userId, CancellationToken ct)
    {
        var now = time.Now();
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<OperatorSession>(
            """
            SELECT id, user_id, created_at, last_seen_at, user_agent, address FROM operator_sessions
            WHERE user_id = @userId AND revoked_at IS NULL AND expires_at > @now AND last_seen_at > @idle ORDER BY created_at DESC
            """, new { userId, now, idle = now - options.Value.SessionIdleTimeout });
        return [.. rows];
    }

    /// <summary>Ends one of the user's sessions, or every one but <paramref name="keep"/> when <paramref name="sessionId"/> is null; how many ended.</summary>
    public async Task<int> SignOutAsync(OperatorUser user, string? sessionId, string? keep, CancellationToken ct)
    {
        var now = time.Now();
        return await database.InTransactionAsync(async (connection, tx) =>
        {
            var ended = await connection.ExecuteAsync(
                sessionId is null
                    ? "UPDATE operator_sessions SET revoked_at = @now WHERE user_id = @Id AND revoked_at IS NULL AND (@keep IS NULL OR id <> @keep)"
                    : "UPDATE operator_sessions SET revoked_at = @now WHERE user_id = @Id AND revoked_at IS NULL AND id = @sessionId",
                new { now, user.Id, sessionId, keep }, tx);
            if (ended > 0) await audit.RecordAsync(tx, Of(user), "operator.signed_out", "operator", user.Id, null, new { session = sessionId ?? "all", ended });
            return ended;
        }, ct);
    }

    /// <summary>The audit log's actor for what an operator does in the dashboard.</summary>
    public static Actor Of(OperatorUser user) => new("operator", user.Id, null);

    static string? NormalizeEmail(string? email)
    {
        if (string.IsNullOrWhiteSpace(email) || email.Length > 254) return null;
        var trimmed = email.Trim();
        return MailAddress.TryCreate(trimmed, out var address) && address.Address == trimmed ? trimmed.ToLowerInvariant() : null;
    }

    static string? Clip(string? text, int length) => text is null ? null : text.Length <= length ? text : text[..length];

    const string UserColumns = "id, email, name, role, created_at, locked_until";

    class UserRow
    {
        public string Id { get; init; } = "";
        public string Email { get; init; } = "";
        public string Name { get; init; } = "";
        public string Role { get; init; } = "";
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset? LockedUntil { get; init; }
        public string? PasswordHash { get; init; }

        public OperatorUser ToUser() => new(Id, Email, Name, OperatorRoles.Parse(Role) ?? OperatorRole.Viewer, CreatedAt, LockedUntil);
    }

    sealed class SessionRow : UserRow
    {
        public string SessionId { get; init; } = "";
        public DateTimeOffset LastSeenAt { get; init; }
        public DateTimeOffset ExpiresAt { get; init; }
    }
}
