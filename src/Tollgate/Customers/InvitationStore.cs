using System.Data.Common;
using Dapper;
using Tollgate.Audit;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Customers;

/// <summary>Invitations to a customer's team. Tokens are stored only as hashes.</summary>
public sealed class InvitationStore(Database database, AuditLog audit, MemberStore members, TimeProvider time)
{
    const string TokenPrefix = "tginv_";

    public async Task<Result<Invitation>> CreateAsync(string customerId, InviteRequest request, Actor actor, CancellationToken ct)
    {
        if (TeamRules.CheckInvite(request) is { } invalid) return invalid;
        var email = request.Email!.Trim().ToLowerInvariant();
        var token = RandomText.Secret(TokenPrefix, 43);
        var now = time.Now();
        return await database.InTransactionAsync(async (connection, tx) =>
        {
            if (!await CustomerStore.ExistsInAsync(tx, customerId)) return ApiError.NotFound("customer", customerId);
            if (await MemberStore.FindByEmailAsync(tx, customerId, email) is not null) return MemberStore.MemberExists(email);

            // A new invitation replaces any still pending for the same person.
            await connection.ExecuteAsync(
                "UPDATE invitations SET status = 'revoked' WHERE customer_id = @customerId AND email = @email AND status = 'pending'",
                new { customerId, email }, tx);
            var invitation = new Invitation
            {
                Id = Ids.New(Ids.Invitation, time),
                CustomerId = customerId,
                Email = email,
                Role = request.Role ?? Role.Member,
                Status = InvitationStatus.Pending,
                ExpiresAt = now.AddDays(request.ExpiresInDays ?? TeamRules.DefaultInvitationDays),
                CreatedAt = now,
            };
            await connection.ExecuteAsync(
                """
                INSERT INTO invitations (id, customer_id, email, role, token_hash, status, expires_at, created_at)
                VALUES (@Id, @CustomerId, @Email, @Role, @TokenHash, 'pending', @ExpiresAt, @CreatedAt)
                """,
                new
                {
                    invitation.Id, invitation.CustomerId, invitation.Email, Role = invitation.Role.ToString().ToLowerInvariant(),
                    TokenHash = RandomText.Sha256Hex(token), invitation.ExpiresAt, invitation.CreatedAt,
                }, tx);
            await audit.RecordAsync(tx, actor, "invitation.created", "invitation", invitation.Id, null, invitation, customerId);
            return (Result<Invitation>)(invitation with { Token = token });
        }, ct);
    }

    public Task<Result<Invitation>> RevokeAsync(string customerId, string id, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync(async (connection, tx) =>
        {
            var current = await FindAsync(tx, "id = @key AND customer_id = @customerId", new { key = id, customerId });
            if (current is null) return ApiError.NotFound("invitation", id);
            if (current.Status != InvitationStatus.Pending) return current;
            var revoked = current with { Status = InvitationStatus.Revoked };
            await connection.ExecuteAsync("UPDATE invitations SET status = 'revoked' WHERE id = @id", new { id }, tx);
            await audit.RecordAsync(tx, actor, "invitation.revoked", "invitation", id, current, revoked, customerId);
            return (Result<Invitation>)revoked;
        }, ct);

    /// <summary>
    /// Turns a pending invitation into a member, once; <paramref name="accepted"/>, when given, does more in the same
    /// transaction (the portal stores the member's password there, so a member never exists without the one it chose).
    /// </summary>
    public Task<Result<Member>> AcceptAsync(AcceptInvitationRequest request, Actor actor, CancellationToken ct, Func<System.Data.Common.DbTransaction, Member, Task>? accepted = null)
    {
        var check = new Validation().Text("token", request.Token, required: true, 100).Text("name", request.Name, required: false);
        if (check.Failed) return Task.FromResult<Result<Member>>(check.ToError());

        return database.InTransactionAsync(async (connection, tx) =>
        {
            var invitation = await FindAsync(tx, "token_hash = @key", new { key = RandomText.Sha256Hex(request.Token!) });
            switch (invitation?.Status)
            {
                case null:
                    return new ApiError("invitation_not_found", StatusCodes.Status404NotFound, "No invitation has this token.");
                case InvitationStatus.Expired:
                    return new ApiError("invitation_expired", StatusCodes.Status410Gone, "This invitation has expired; ask for a new one.");
                case InvitationStatus.Accepted or InvitationStatus.Revoked:
                    return ApiError.Conflict("invitation_used", $"This invitation was {invitation.Status.ToString().ToLowerInvariant()} already.");
            }

            var member = await members.AddInAsync(tx, invitation.CustomerId, new AddMemberRequest(invitation.Email, request.Name, invitation.Role), actor);
            if (!member.IsOk) return member;
            var now = time.Now();
            await connection.ExecuteAsync(
                "UPDATE invitations SET status = 'accepted', accepted_at = @now, member_id = @memberId WHERE id = @id",
                new { now, memberId = member.Value.Id, id = invitation.Id }, tx);
            await audit.RecordAsync(tx, actor, "invitation.accepted", "invitation", invitation.Id, invitation,
                invitation with { Status = InvitationStatus.Accepted, AcceptedAt = now, MemberId = member.Value.Id }, invitation.CustomerId);
            if (accepted is not null) await accepted(tx, member.Value);
            return member;
        }, ct);
    }

    public async Task<Page<Invitation>> ListAsync(string customerId, PageRequest page, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var now = time.GetUtcNow();
        var rows = (await connection.QueryAsync<Row>(
            """
            SELECT * FROM invitations
            WHERE customer_id = @customerId AND (@Cursor IS NULL OR id < @Cursor)
            ORDER BY id DESC
            LIMIT @Take
            """,
            new { customerId, page.Cursor, Take = page.Size + 1 })).Select(r => r.ToInvitation(now)).ToList();
        return Page<Invitation>.From(rows, page.Size, i => i.Id);
    }

    async Task<Invitation?> FindAsync(DbTransaction tx, string where, object parameters) =>
        (await tx.Connection!.QuerySingleOrDefaultAsync<Row>($"SELECT * FROM invitations WHERE {where}{database.ForUpdate}", parameters, tx))
            ?.ToInvitation(time.GetUtcNow());

    sealed record Row
    {
        public string Id { get; init; } = "";
        public string CustomerId { get; init; } = "";
        public string Email { get; init; } = "";
        public string Role { get; init; } = "";
        public string Status { get; init; } = "";
        public DateTimeOffset ExpiresAt { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset? AcceptedAt { get; init; }
        public string? MemberId { get; init; }

        public Invitation ToInvitation(DateTimeOffset now) => new()
        {
            Id = Id,
            CustomerId = CustomerId,
            Email = Email,
            Role = Enum.Parse<Role>(Role, ignoreCase: true),
            Status = TeamRules.StatusAt(Enum.Parse<InvitationStatus>(Status, ignoreCase: true), ExpiresAt, now),
            ExpiresAt = ExpiresAt,
            CreatedAt = CreatedAt,
            AcceptedAt = AcceptedAt,
            MemberId = MemberId,
        };
    }
}
