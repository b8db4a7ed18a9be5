using Tollgate.Common;

namespace Tollgate.ApiKeys;

/// <summary>Who may create or rotate which key: pure decisions, tested without a server.</summary>
public static class KeyPolicy
{
    public static readonly TimeSpan MaxOverlap = TimeSpan.FromDays(30);
    public static readonly TimeSpan DefaultOverlap = TimeSpan.FromHours(1);

    public static Result<NewKey> ForCreate(Caller caller, CreateKeyRequest request, DateTimeOffset now)
    {
        var check = new Validation()
            .Text("name", request.Name, required: true, maxLength: 100)
            .Text("description", request.Description, required: false, maxLength: 500);
        if (request.ExpiresAt is { } expires && expires <= now) check.Add("expires_at", "must be in the future.");

        var kind = request.Kind ?? (caller.IsAdmin && request.CustomerId is null ? KeyKind.Admin : KeyKind.Customer);
        var customerId = request.CustomerId;
        if (kind == KeyKind.Admin && customerId is not null) check.Add("customer_id", "must be empty for an admin key.");
        if (kind == KeyKind.Customer && customerId is null && caller.IsAdmin) check.Add("customer_id", "is required for a customer key.");

        var scopes = (request.Scopes ?? Scopes.Defaults(kind)).Distinct(StringComparer.Ordinal).ToList();
        if (scopes.Count == 0) check.Add("scopes", "must name at least one scope.");
        var allowed = Scopes.Allowed(kind);
        foreach (var scope in scopes.Where(s => !allowed.Contains(s)))
        {
            check.Add("scopes", $"'{scope}' is not a scope of {kind.ToString().ToLowerInvariant()} keys; use {string.Join(", ", allowed)}.");
        }

        if (check.Failed) return check.ToError();

        var mode = request.Mode ?? caller.Key.Mode;
        if (caller.IsAdmin)
        {
            if (!caller.CanWriteAdmin) return ApiError.Forbidden("This key may only read; creating keys needs the 'admin' scope.");
        }
        else
        {
            if (kind == KeyKind.Admin) return ApiError.Forbidden("A customer key cannot create admin keys.");
            customerId ??= caller.Key.CustomerId;
            if (customerId != caller.Key.CustomerId) return ApiError.NotFound("customer", customerId!);
            if (!caller.Key.HasScope(Scopes.KeysWrite)) return ApiError.Forbidden("Creating keys needs the 'keys:write' scope.");
            if (caller.Key.Mode == KeyMode.Test && mode == KeyMode.Live) return ApiError.Forbidden("A test key cannot create live keys.");
            var missing = scopes.FirstOrDefault(s => !caller.Key.HasScope(s));
            if (missing is not null) return ApiError.Forbidden($"A key cannot grant the scope '{missing}' it does not hold.");
        }

        return new NewKey(kind, mode, customerId, request.Name!.Trim(), request.Description, scopes, request.ExpiresAt);
    }

    /// <summary>May <paramref name="caller"/> change (rotate, revoke) <paramref name="key"/>?</summary>
    public static ApiError? ForChange(Caller caller, ApiKeyView key)
    {
        if (caller.IsAdmin)
        {
            return caller.CanWriteAdmin ? null : ApiError.Forbidden("This key may only read; changing keys needs the 'admin' scope.");
        }

        if (key.CustomerId != caller.Key.CustomerId) return ApiError.NotFound("key", key.Id);
        return caller.Key.HasScope(Scopes.KeysWrite) || key.Id == caller.Key.Id
            ? null
            : ApiError.Forbidden("Changing keys needs the 'keys:write' scope.");
    }

    /// <summary>
    /// May <paramref name="caller"/> rotate <paramref name="key"/>, and into what? The successor keeps the key's kind,
    /// mode, scopes and expiry (a new <c>expires_at</c> replaces the expiry). A customer key rotating a sibling gets its
    /// secret, so it must pass the checks it would pass to create that key; a key rotating itself without
    /// <c>keys:write</c> may bring its expiry forward, never push it back.
    /// </summary>
    public static Result<Rotation> ForRotate(Caller caller, ApiKeyView key, RotateKeyRequest request, DateTimeOffset now)
    {
        if (ForChange(caller, key) is { } denied) return denied;
        var overlap = Overlap(request, now);
        if (!overlap.IsOk) return overlap.Error;

        var expiresAt = request.ExpiresAt ?? key.ExpiresAt;
        if (!caller.IsAdmin)
        {
            var couldCreate = caller.Key.HasScope(Scopes.KeysWrite)
                && key.Scopes.All(caller.Key.HasScope)
                && !(caller.Key.Mode == KeyMode.Test && key.Mode == KeyMode.Live);
            if (key.Id != caller.Key.Id && !couldCreate)
            {
                return ApiError.Forbidden("A key can rotate a sibling only if it could create it: 'keys:write', every scope of that key, and its mode.");
            }

            if (!couldCreate && key.ExpiresAt is { } current && (expiresAt is null || expiresAt > current))
            {
                return ApiError.Forbidden("Without 'keys:write' a key may bring its expiry forward when it rotates itself, not push it back.");
            }
        }

        return new Rotation(overlap.Value, expiresAt);
    }

    static Result<TimeSpan> Overlap(RotateKeyRequest request, DateTimeOffset now)
    {
        var check = new Validation();
        if (request.OverlapSeconds is { } seconds) check.Range("overlap_seconds", seconds, 0, (long)MaxOverlap.TotalSeconds);
        if (request.ExpiresAt is { } expires && expires <= now) check.Add("expires_at", "must be in the future.");
        if (check.Failed) return check.ToError();
        return request.OverlapSeconds is { } s ? TimeSpan.FromSeconds(s) : DefaultOverlap;
    }
}

/// <summary>A checked rotation: how long the old key stays valid, and when its successor expires.</summary>
public sealed record Rotation(TimeSpan Overlap, DateTimeOffset? ExpiresAt);
