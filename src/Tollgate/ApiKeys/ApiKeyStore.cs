using System.Data.Common;
using Dapper;
using Tollgate.Audit;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.ApiKeys;

/// <summary>Keys in the database; after every commit a change to a key is published, and each node's cache forgets it.</summary>
public sealed class ApiKeyStore(Database database, AuditLog audit, ApiKeyCache cache, ChangeFeed changes, TimeProvider time)
{
    public async Task<Result<ApiKeyView>> CreateAsync(NewKey key, Actor actor, CancellationToken ct)
    {
        var secret = ApiKeySecret.Generate(key.Kind, key.Mode);
        var result = await database.InTransactionAsync(async (connection, tx) =>
        {
            if (key.CustomerId is not null && !await LiveCustomerAsync(tx, key.CustomerId))
            {
                return (Result<ApiKeyRow>)ApiError.Invalid("customer_id", $"no customer '{key.CustomerId}' exists.");
            }

            var row = await InsertAsync(tx, key, secret, actor);
            await audit.RecordAsync(tx, actor, "api_key.created", "api_key", row.Id, null, row.ToView(row.CreatedAt), key.CustomerId);
            await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "api_key.created", key.CustomerId, row.ToView(row.CreatedAt), row.CreatedAt);
            return row;
        }, ct);
        if (!result.IsOk) return result.Error;

        var created = result.Value;
        cache.Put(KeyHash.FromHex(created.KeyHash), created.ToEntry());
        return created.ToView(time.GetUtcNow()) with { Secret = secret };
    }

    /// <summary>Creates a successor with a fresh secret, the same kind, mode and scopes; the old key stays valid for the overlap.</summary>
    public async Task<Result<ApiKeyView>> RotateAsync(string id, Rotation rotation, Actor actor, CancellationToken ct)
    {
        var now = time.Now();
        var result = await database.InTransactionAsync(async (connection, tx) =>
        {
            var old = await FindAsync(tx, id);
            if (old is null) return (Result<(ApiKeyRow, ApiKeyRow, string)>)ApiError.NotFound("key", id);
            var status = old.ToView(now).Status;
            if (status != KeyStatus.Active)
            {
                return ApiError.Conflict("key_not_active", $"Key '{id}' is {status.ToString().ToLowerInvariant()} and cannot be rotated.");
            }

            var secret = ApiKeySecret.Generate(old.KindValue, old.ModeValue);
            var successor = new NewKey(old.KindValue, old.ModeValue, old.CustomerId, old.Name, old.Description, old.ScopeList, rotation.ExpiresAt, old.Id);
            var created = await InsertAsync(tx, successor, secret, actor);

            var retireAt = now + rotation.Overlap;
            var updated = rotation.Overlap == TimeSpan.Zero
                ? old with { RevokedAt = now }
                : old with { ExpiresAt = old.ExpiresAt is { } e && e < retireAt ? e : retireAt };
            await connection.ExecuteAsync(
                "UPDATE api_keys SET expires_at = @ExpiresAt, revoked_at = @RevokedAt WHERE id = @Id",
                new { updated.ExpiresAt, updated.RevokedAt, updated.Id }, tx);
            await audit.RecordAsync(tx, actor, "api_key.rotated", "api_key", old.Id, old.ToView(now), updated.ToView(now), old.CustomerId);
            await audit.RecordAsync(tx, actor, "api_key.created", "api_key", created.Id, null, created.ToView(now), old.CustomerId);
            await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "api_key.rotated", old.CustomerId, new ApiKeyRotated(created.ToView(now), updated.ToView(now)), now);
            // Sent with the commit (TransactionChanges): every node's cache, this one's included, reads the retired key again.
            changes.Publish(ChangeKind.Key, old.Id);
            return (updated, created, secret);
        }, ct);
        if (!result.IsOk) return result.Error;

        var (_, successorRow, successorSecret) = result.Value;
        cache.Put(KeyHash.FromHex(successorRow.KeyHash), successorRow.ToEntry());
        return successorRow.ToView(now) with { Secret = successorSecret };
    }

    /// <summary>Revokes at once; revoking a revoked key changes nothing.</summary>
    public async Task<Result<ApiKeyView>> RevokeAsync(string id, Actor actor, CancellationToken ct)
    {
        var now = time.Now();
        var result = await database.InTransactionAsync(async (connection, tx) =>
        {
            var row = await FindAsync(tx, id);
            if (row is null) return (Result<ApiKeyRow>)ApiError.NotFound("key", id);
            if (row.RevokedAt is not null) return row;

            var revoked = row with { RevokedAt = now };
            await connection.ExecuteAsync("UPDATE api_keys SET revoked_at = @RevokedAt WHERE id = @Id", new { revoked.RevokedAt, revoked.Id }, tx);
            await audit.RecordAsync(tx, actor, "api_key.revoked", "api_key", row.Id, row.ToView(now), revoked.ToView(now), row.CustomerId);
            await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "api_key.revoked", row.CustomerId, revoked.ToView(now), now);
            changes.Publish(ChangeKind.Key, id); // sent with the commit (TransactionChanges): no node trusts the key after it
            return revoked;
        }, ct);
        if (!result.IsOk) return result.Error;
        return result.Value.ToView(now);
    }

    public async Task<ApiKeyView?> GetAsync(string id, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<ApiKeyRow>("SELECT * FROM api_keys WHERE id = @id", new { id });
        return row?.ToView(time.GetUtcNow());
    }

    public async Task<Page<ApiKeyView>> ListAsync(string? customerId, KeyKind? kind, PageRequest page, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = (await connection.QueryAsync<ApiKeyRow>(
            """
            SELECT * FROM api_keys
            WHERE (@Cursor IS NULL OR id < @Cursor)
              AND (@CustomerId IS NULL OR customer_id = @CustomerId)
              AND (@Kind IS NULL OR kind = @Kind)
            ORDER BY id DESC
            LIMIT @Take
            """,
            new { page.Cursor, CustomerId = customerId, Kind = kind?.ToString().ToLowerInvariant(), Take = page.Size + 1 })).ToList();
        var now = time.GetUtcNow();
        return Page<ApiKeyRow>.From(rows, page.Size, r => r.Id).Map(r => r.ToView(now));
    }

    public async Task<ApiKeyEntry?> FindEntryByHashAsync(KeyHash hash, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<ApiKeyRow>("SELECT * FROM api_keys WHERE key_hash = @hash", new { hash = hash.ToHex() });
        return row?.ToEntry();
    }

    public async Task<int> LoadIntoCacheAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var count = 0;
        foreach (var row in await connection.QueryAsync<ApiKeyRow>("SELECT * FROM api_keys WHERE revoked_at IS NULL"))
        {
            cache.Put(KeyHash.FromHex(row.KeyHash), row.ToEntry());
            count++;
        }

        return count;
    }

    public async Task<IReadOnlyList<string>> ActiveIdsCreatedByAsync(string createdBy, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return (await connection.QueryAsync<string>(
            "SELECT id FROM api_keys WHERE created_by = @createdBy AND revoked_at IS NULL", new { createdBy })).ToList();
    }

    public async Task<bool> AnyActiveAdminKeyAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM api_keys WHERE kind = 'admin' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > @now)",
            new { now = time.Now() }) > 0;
    }

    /// <summary>Registers a secret chosen outside Tollgate (the bootstrap admin key from the environment).</summary>
    public async Task<ApiKeyView> ImportAsync(NewKey key, string secret, Actor actor, CancellationToken ct)
    {
        var row = await database.InTransactionAsync(async (_, tx) =>
        {
            var inserted = await InsertAsync(tx, key, secret, actor);
            await audit.RecordAsync(tx, actor, "api_key.created", "api_key", inserted.Id, null, inserted.ToView(inserted.CreatedAt));
            return inserted;
        }, ct);
        cache.Put(KeyHash.FromHex(row.KeyHash), row.ToEntry());
        return row.ToView(time.GetUtcNow());
    }

    public async Task TouchAsync(IReadOnlyDictionary<string, DateTimeOffset> lastUsed, CancellationToken ct)
    {
        if (lastUsed.Count == 0) return;
        await database.InTransactionAsync(async (connection, tx) =>
        {
            foreach (var (id, at) in lastUsed)
            {
                await connection.ExecuteAsync(
                    "UPDATE api_keys SET last_used_at = @at WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @at)",
                    new { id, at }, tx);
            }

            return 0;
        }, ct);
    }

    async Task<ApiKeyRow> InsertAsync(DbTransaction tx, NewKey key, string secret, Actor actor)
    {
        var (displayPrefix, lastFour) = ApiKeySecret.Visible(secret);
        var row = new ApiKeyRow
        {
            Id = Ids.New(Ids.ApiKey, time),
            Kind = key.Kind.ToString().ToLowerInvariant(),
            Mode = key.Mode.ToString().ToLowerInvariant(),
            CustomerId = key.CustomerId,
            Name = key.Name,
            Description = key.Description,
            DisplayPrefix = displayPrefix,
            LastFour = lastFour,
            KeyHash = KeyHash.Of(secret).ToHex(),
            Scopes = ApiJson.Serialize(key.Scopes),
            ExpiresAt = key.ExpiresAt,
            RotatedFrom = key.RotatedFrom,
            CreatedBy = actor.Id ?? actor.Type,
            CreatedAt = time.Now(),
        };
        await tx.Connection!.ExecuteAsync(
            """
            INSERT INTO api_keys (id, kind, mode, customer_id, name, description, display_prefix, last_four, key_hash,
                                  scopes, expires_at, revoked_at, last_used_at, rotated_from, created_by, created_at)
            VALUES (@Id, @Kind, @Mode, @CustomerId, @Name, @Description, @DisplayPrefix, @LastFour, @KeyHash,
                    @Scopes, @ExpiresAt, NULL, NULL, @RotatedFrom, @CreatedBy, @CreatedAt)
            """,
            row, tx);
        return row;
    }

    /// <summary>Read in the key's own transaction, so a customer deleted meanwhile cannot get a key (customers sit above keys).</summary>
    static async Task<bool> LiveCustomerAsync(DbTransaction tx, string customerId) =>
        await tx.Connection!.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM customers WHERE id = @customerId AND deleted_at IS NULL", new { customerId }, tx) > 0;

    Task<ApiKeyRow?> FindAsync(DbTransaction tx, string id) =>
        tx.Connection!.QuerySingleOrDefaultAsync<ApiKeyRow?>($"SELECT * FROM api_keys WHERE id = @id{database.ForUpdate}", new { id }, tx);

}
