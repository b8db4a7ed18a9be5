using Dapper;
using Microsoft.Extensions.Options;
using Tollgate.ApiKeys;
using Tollgate.Audit;
using Tollgate.Common;
using Tollgate.Customers;
using Tollgate.Storage;
using Tollgate.Web;

namespace Tollgate.Portal;

/// <summary><c>Portal:*</c>: how customers enter the portal.</summary>
public sealed class PortalOptions
{
    /// <summary>How long a link minted by <c>POST /api/v1/portal-sessions</c> may be followed (once).</summary>
    public TimeSpan LinkLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A portal session unused this long ends.</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A portal session ends this long after it began, used or not.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>A member's wrong passwords in a row before its account is locked, and for how long.</summary>
    public int MaxFailedAttempts { get; set; } = 5;

    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);
}

/// <summary><c>POST /api/v1/portal-sessions</c>.</summary>
public sealed record CreatePortalSessionRequest(
    [property: System.ComponentModel.DataAnnotations.Required] string? CustomerId, string? ReturnUrl);

/// <summary>The link to hand the customer's browser: single use, short-lived.</summary>
public sealed record PortalSessionLink(string Url, DateTimeOffset ExpiresAt);

/// <summary>
/// Ways into the portal: a link the operator's app mints for a customer (as Stripe's billing portal), followed once
/// within minutes, or a member's email and password (set when it accepted its invitation). Either starts a session: a
/// random token in an <c>HttpOnly</c>, <c>SameSite=Strict</c> cookie scoped to <c>/portal</c>, stored as its SHA-256.
/// </summary>
public sealed class PortalSessions(Database database, AuditLog audit, InvitationStore invitations, IOptions<PortalOptions> options, TimeProvider time)
{
    public const string LinkPrefix = "tgpl_";
    public const string TokenPrefix = "tgp_";
    const string SessionPrefix = "pss";

    public async Task<Result<(string Token, DateTimeOffset ExpiresAt)>> MintLinkAsync(CreatePortalSessionRequest request, KeyMode mode, Actor actor, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.CustomerId)) return ApiError.Invalid("customer_id", "is required: whose portal the link opens.");
        if (request.ReturnUrl is { } back && !(Uri.TryCreate(back, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" && back.Length <= 2_000))
            return ApiError.Invalid("return_url", "must be an absolute http or https URL: where the portal's Back link leads.");
        var token = RandomText.Secret(LinkPrefix, 43);
        var now = time.Now();
        var expires = now + options.Value.LinkLifetime;
        return await database.InTransactionAsync<(string, DateTimeOffset)>(async (connection, tx) =>
        {
            if (!await CustomerStore.ExistsInAsync(tx, request.CustomerId!)) return ApiError.NotFound("customer", request.CustomerId!);
            await connection.ExecuteAsync(
                "INSERT INTO portal_links (token_hash, customer_id, mode, return_url, created_at, expires_at) VALUES (@hash, @CustomerId, @mode, @ReturnUrl, @now, @expires)",
                new { hash = KeyHash.Of(token).ToHex(), request.CustomerId, mode = EnumText.Snake(mode), request.ReturnUrl, now, expires }, tx);
            await audit.RecordAsync(tx, actor, "portal_session.created", "customer", request.CustomerId!, null, new { expires_at = expires, return_url = request.ReturnUrl }, request.CustomerId);
            return (token, expires);
        }, ct);
    }

    /// <summary>Follows a link: a session's token the first time, while it lives; null after (or for any other token).</summary>
    public async Task<string?> RedeemAsync(string? link, CancellationToken ct)
    {
        if (link is null || !link.StartsWith(LinkPrefix, StringComparison.Ordinal) || link.Length > 100) return null;
        var now = time.Now();
        var hash = KeyHash.Of(link).ToHex();
        return await database.InTransactionAsync(async (connection, tx) =>
        {
            // Used up in the same statement that checks it, so two browsers racing with one link get one session.
            if (await connection.ExecuteAsync("UPDATE portal_links SET used_at = @now WHERE token_hash = @hash AND used_at IS NULL AND expires_at > @now", new { now, hash }, tx) == 0)
                return null;
            var row = await connection.QuerySingleAsync<(string CustomerId, string Mode, string? ReturnUrl)>(
                "SELECT customer_id, mode, return_url FROM portal_links WHERE token_hash = @hash", new { hash }, tx);
            return await StartAsync(tx, row.CustomerId, null, EnumText.Parse<KeyMode>(row.Mode), row.ReturnUrl, now);
        }, ct);
    }

    /// <summary>A member's sign-in: a session's token, or why not (never whether the email exists).</summary>
    public async Task<(string? Token, DateTimeOffset? LockedUntil)> SignInAsync(string? email, string? password, CancellationToken ct)
    {
        var normalized = email?.Trim().ToLowerInvariant();
        var now = time.Now();
        List<MemberRow> rows = [];
        if (normalized is { Length: > 0 and <= 254 })
        {
            await using var connection = await database.OpenAsync(ct);
            // A person may be a member of several customers (and anyone may be invited under any email): the password
            // picks the membership, the oldest whose password it is.
            rows = [.. await connection.QueryAsync<MemberRow>(
                "SELECT id, customer_id, password_hash, locked_until FROM members WHERE email = @normalized AND password_hash IS NOT NULL ORDER BY created_at, id LIMIT 10",
                new { normalized })];
        }

        if (rows.Count == 0)
        {
            Passwords.Verify(null, password);
            return (null, null);
        }

        var open = rows.Where(r => !(r.LockedUntil > now)).ToList();
        if (open.Count == 0) return (null, rows.Min(r => r.LockedUntil));
        MemberRow? match = null;
        var rehash = false;
        foreach (var candidate in open)
        {
            var (right, stale) = Passwords.Verify(candidate.PasswordHash, password);
            if (!right) continue;
            (match, rehash) = (candidate, stale);
            break;
        }

        return await database.InTransactionAsync(async (connection, tx) =>
        {
            if (match is null)
            {
                DateTimeOffset? locked = null;
                foreach (var candidate in open)
                    locked = await Lockout.FailedAsync(tx, Lockout.Accounts.Members, candidate.Id, options.Value.MaxFailedAttempts, options.Value.LockoutDuration, now) ?? locked;
                return (null, locked);
            }

            if (!await Lockout.SucceededAsync(tx, Lockout.Accounts.Members, match.Id, rehash ? Passwords.Hash(password!) : null, now))
                return (null, await connection.QuerySingleAsync<DateTimeOffset?>("SELECT locked_until FROM members WHERE id = @Id", new { match.Id }, tx));
            await audit.RecordAsync(tx, new Actor("member", match.Id, null), "member.signed_in", "member", match.Id, null, null, match.CustomerId);
            return ((string?)await StartAsync(tx, match.CustomerId, match.Id, KeyMode.Live, null, now), (DateTimeOffset?)null);
        }, ct);
    }

    /// <summary>Accepts an invitation with the password the invitee chose, and signs it in.</summary>
    public async Task<Result<string>> AcceptInvitationAsync(string? token, string? name, string? password, CancellationToken ct)
    {
        if (!Passwords.Acceptable(password)) return ApiError.Invalid("password", $"must be {Passwords.MinimumLength} to {Passwords.MaximumLength:N0} characters.");
        var now = time.Now();
        string? session = null;
        var member = await invitations.AcceptAsync(new AcceptInvitationRequest(token, string.IsNullOrWhiteSpace(name) ? null : name.Trim()), Actor.System, ct,
            async (tx, joined) =>
            {
                await tx.Connection!.ExecuteAsync("UPDATE members SET password_hash = @hash WHERE id = @Id", new { hash = Passwords.Hash(password!), joined.Id }, tx);
                session = await StartAsync(tx, joined.CustomerId, joined.Id, KeyMode.Live, null, now);
            });
        return member.IsOk ? session! : member.Error;
    }

    async Task<string> StartAsync(System.Data.Common.DbTransaction tx, string customerId, string? memberId, KeyMode mode, string? returnUrl, DateTimeOffset now)
    {
        var token = RandomText.Secret(TokenPrefix, 43);
        await tx.Connection!.ExecuteAsync(
            """
            INSERT INTO portal_sessions (id, token_hash, customer_id, member_id, mode, return_url, created_at, last_seen_at, expires_at)
            VALUES (@id, @hash, @customerId, @memberId, @mode, @returnUrl, @now, @now, @expires)
            """,
            new { id = Ids.New(SessionPrefix, time), hash = KeyHash.Of(token).ToHex(), customerId, memberId, mode = EnumText.Snake(mode), returnUrl, now, expires = now + options.Value.SessionLifetime }, tx);
        return token;
    }

    /// <summary>Who a session token belongs to, while its session lives (and its member still belongs to the customer).</summary>
    public async Task<PortalVisitor?> AuthenticateAsync(string? token, CancellationToken ct)
    {
        if (token is null || !token.StartsWith(TokenPrefix, StringComparison.Ordinal) || token.Length > 100) return null;
        var now = time.Now();
        await using var connection = await database.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<SessionRow>(
            """
            SELECT s.id, s.customer_id, s.member_id, s.mode, s.return_url, s.last_seen_at, s.expires_at, m.role AS member_role,
                   COALESCE(m.name, m.email, c.name) AS name, c.name AS customer_name
            FROM portal_sessions s JOIN customers c ON c.id = s.customer_id LEFT JOIN members m ON m.id = s.member_id
            WHERE s.token_hash = @hash AND s.revoked_at IS NULL AND c.deleted_at IS NULL
            """, new { hash = KeyHash.Of(token).ToHex() });
        if (row is null || row.ExpiresAt <= now || row.LastSeenAt + options.Value.SessionIdleTimeout <= now) return null;
        if (row.MemberId is not null && row.MemberRole is null) return null;
        if (now - row.LastSeenAt >= TimeSpan.FromMinutes(1))
        {
            using (await database.WriterTurnAsync(ct))
                await connection.ExecuteAsync("UPDATE portal_sessions SET last_seen_at = @now WHERE id = @Id", new { now, row.Id });
        }

        var role = row.MemberRole is null ? Role.Owner : EnumText.Parse<Role>(row.MemberRole);
        return new PortalVisitor(row.CustomerId, row.CustomerName, row.MemberId, row.Name ?? row.CustomerId, role, EnumText.Parse<KeyMode>(row.Mode), row.Id, FormTokens.Csrf(token), row.ReturnUrl);
    }

    /// <summary>How long a previewed change may be confirmed at its preview's instant; later, it is prorated at the confirmation.</summary>
    public static readonly TimeSpan PreviewHolds = TimeSpan.FromMinutes(30);

    /// <summary>Keeps the instant a plan change was previewed at, on the server: the confirmation prorates at it, never at one the browser sends.</summary>
    public async Task RememberPreviewAsync(string sessionId, string plan, DateTimeOffset at, CancellationToken ct) =>
        await database.InTransactionAsync(async (connection, tx) =>
            await connection.ExecuteAsync("UPDATE portal_sessions SET preview_plan = @plan, preview_at = @at WHERE id = @sessionId", new { plan, at, sessionId }, tx), ct);

    /// <summary>The instant <paramref name="plan"/> was previewed at in this session, while it holds (<see cref="PreviewHolds"/>); used up by the asking.</summary>
    public async Task<DateTimeOffset?> TakePreviewAsync(string sessionId, string plan, CancellationToken ct)
    {
        var now = time.Now();
        return await database.InTransactionAsync(async (connection, tx) =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<(string? Plan, DateTimeOffset? At)>(
                "SELECT preview_plan, preview_at FROM portal_sessions WHERE id = @sessionId AND preview_at IS NOT NULL", new { sessionId }, tx);
            await connection.ExecuteAsync("UPDATE portal_sessions SET preview_plan = NULL, preview_at = NULL WHERE id = @sessionId", new { sessionId }, tx);
            return row.Plan == plan && row.At is { } at && at <= now && now - at <= PreviewHolds ? at : (DateTimeOffset?)null;
        }, ct);
    }

    public async Task SignOutAsync(string sessionId, CancellationToken ct)
    {
        var now = time.Now();
        await database.InTransactionAsync(async (connection, tx) =>
            await connection.ExecuteAsync("UPDATE portal_sessions SET revoked_at = @now WHERE id = @sessionId AND revoked_at IS NULL", new { now, sessionId }, tx), ct);
    }

    sealed class MemberRow
    {
        public string Id { get; init; } = "";
        public string CustomerId { get; init; } = "";
        public string? PasswordHash { get; init; }
        public DateTimeOffset? LockedUntil { get; init; }
    }

    sealed class SessionRow
    {
        public string Id { get; init; } = "";
        public string CustomerId { get; init; } = "";
        public string? MemberId { get; init; }
        public string Mode { get; init; } = "live";
        public string? ReturnUrl { get; init; }
        public DateTimeOffset LastSeenAt { get; init; }
        public DateTimeOffset ExpiresAt { get; init; }
        public string? MemberRole { get; init; }
        public string? Name { get; init; }
        public string CustomerName { get; init; } = "";
    }
}
