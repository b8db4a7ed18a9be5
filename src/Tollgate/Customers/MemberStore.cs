using System.Data.Common;
using Dapper;
using Tollgate.Audit;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Customers;

/// <summary>Team members; every query is scoped to one customer.</summary>
public sealed class MemberStore(Database database, AuditLog audit, TimeProvider time)
{
    public async Task<Result<Member>> AddAsync(string customerId, AddMemberRequest request, Actor actor, CancellationToken ct)
    {
        if (TeamRules.CheckAdd(request) is { } invalid) return invalid;
        try
        {
            return await database.InTransactionAsync((_, tx) => AddInAsync(tx, customerId, request, actor), ct);
        }
        catch (DbException e) when (DbErrors.IsUniqueViolation(e))
        {
            return MemberExists(request.Email!);
        }
    }

    /// <summary>Adds a member inside an open transaction (shared with invitation acceptance).</summary>
    internal async Task<Result<Member>> AddInAsync(DbTransaction tx, string customerId, AddMemberRequest request, Actor actor)
    {
        if (!await CustomerStore.ExistsInAsync(tx, customerId)) return ApiError.NotFound("customer", customerId);
        var email = request.Email!.Trim().ToLowerInvariant();
        if (await FindByEmailAsync(tx, customerId, email) is not null) return MemberExists(email);

        var now = time.Now();
        var isFirst = await CountAsync(tx, customerId) == 0;
        var member = new Member
        {
            Id = Ids.New(Ids.Member, time),
            CustomerId = customerId,
            Email = email,
            Name = request.Name?.Trim(),
            // The first person in a team owns it unless told otherwise.
            Role = request.Role ?? (isFirst ? Role.Owner : Role.Member),
            CreatedAt = now,
            UpdatedAt = now,
        };
        await tx.Connection!.ExecuteAsync(
            """
            INSERT INTO members (id, customer_id, email, name, role, created_at, updated_at)
            VALUES (@Id, @CustomerId, @Email, @Name, @Role, @CreatedAt, @UpdatedAt)
            """,
            Row.From(member), tx);
        await audit.RecordAsync(tx, actor, "member.added", "member", member.Id, null, member, customerId);
        return member;
    }

    public async Task<Result<Member>> UpdateAsync(string customerId, string id, UpdateMemberRequest request, Actor actor, CancellationToken ct)
    {
        var check = new Validation().Text("name", request.Name, required: false);
        if (check.Failed) return check.ToError();
        return await database.InTransactionAsync(async (connection, tx) =>
        {
            var current = await FindAsync(tx, customerId, id);
            if (current is null) return ApiError.NotFound("member", id);
            if (TeamRules.CheckOwnerRemains(current, request.Role, removing: false, await OwnerCountAsync(tx, customerId)) is { } denied) return denied;

            var updated = current with { Name = request.Name?.Trim() ?? current.Name, Role = request.Role ?? current.Role, UpdatedAt = time.Now() };
            await connection.ExecuteAsync(
                "UPDATE members SET name = @Name, role = @Role, updated_at = @UpdatedAt WHERE id = @Id AND customer_id = @CustomerId",
                Row.From(updated), tx);
            await audit.RecordAsync(tx, actor, "member.updated", "member", id, current, updated, customerId);
            return (Result<Member>)updated;
        }, ct);
    }

    public Task<Result<Member>> RemoveAsync(string customerId, string id, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync(async (connection, tx) =>
        {
            var current = await FindAsync(tx, customerId, id);
            if (current is null) return ApiError.NotFound("member", id);
            if (TeamRules.CheckOwnerRemains(current, null, removing: true, await OwnerCountAsync(tx, customerId)) is { } denied) return denied;

            await connection.ExecuteAsync("UPDATE invitations SET member_id = NULL WHERE member_id = @id", new { id }, tx);
            await connection.ExecuteAsync("DELETE FROM members WHERE id = @id AND customer_id = @customerId", new { id, customerId }, tx);
            await audit.RecordAsync(tx, actor, "member.removed", "member", id, current, null, customerId);
            return (Result<Member>)current;
        }, ct);

    public async Task<Page<Member>> ListAsync(string customerId, PageRequest page, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = (await connection.QueryAsync<Row>(
            """
            SELECT * FROM members
            WHERE customer_id = @customerId AND (@Cursor IS NULL OR id < @Cursor)
            ORDER BY id DESC
            LIMIT @Take
            """,
            new { customerId, page.Cursor, Take = page.Size + 1 })).Select(r => r.ToMember()).ToList();
        return Page<Member>.From(rows, page.Size, m => m.Id);
    }

    public async Task<Member?> GetAsync(string customerId, string id, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return (await connection.QuerySingleOrDefaultAsync<Row>(
            "SELECT * FROM members WHERE id = @id AND customer_id = @customerId", new { id, customerId }))?.ToMember();
    }

    internal static async Task<Member?> FindByEmailAsync(DbTransaction tx, string customerId, string email) =>
        (await tx.Connection!.QuerySingleOrDefaultAsync<Row>(
            "SELECT * FROM members WHERE customer_id = @customerId AND email = @email", new { customerId, email }, tx))?.ToMember();

    internal static ApiError MemberExists(string email) =>
        ApiError.Conflict("member_exists", $"'{email}' is already a member of this customer.");

    async Task<Member?> FindAsync(DbTransaction tx, string customerId, string id) =>
        (await tx.Connection!.QuerySingleOrDefaultAsync<Row>(
            $"SELECT * FROM members WHERE id = @id AND customer_id = @customerId{database.ForUpdate}", new { id, customerId }, tx))?.ToMember();

    static async Task<int> OwnerCountAsync(DbTransaction tx, string customerId) =>
        (int)await tx.Connection!.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM members WHERE customer_id = @customerId AND role = 'owner'", new { customerId }, tx);

    static Task<long> CountAsync(DbTransaction tx, string customerId) =>
        tx.Connection!.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM members WHERE customer_id = @customerId", new { customerId }, tx);

    sealed record Row
    {
        public string Id { get; init; } = "";
        public string CustomerId { get; init; } = "";
        public string Email { get; init; } = "";
        public string? Name { get; init; }
        public string Role { get; init; } = "";
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }

        public static Row From(Member m) => new()
        {
            Id = m.Id, CustomerId = m.CustomerId, Email = m.Email, Name = m.Name,
            Role = m.Role.ToString().ToLowerInvariant(), CreatedAt = m.CreatedAt, UpdatedAt = m.UpdatedAt,
        };

        public Member ToMember() => new()
        {
            Id = Id, CustomerId = CustomerId, Email = Email, Name = Name,
            Role = Enum.Parse<Role>(Role, ignoreCase: true), CreatedAt = CreatedAt, UpdatedAt = UpdatedAt,
        };
    }
}
