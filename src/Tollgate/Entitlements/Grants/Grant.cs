namespace Tollgate.Entitlements.Grants;

/// <summary>A grant is given by the operator (a goodwill credit, a trial bonus); a top-up is bought by the customer (prepaid units).</summary>
public enum GrantKind
{
    Grant,
    TopUp,
}

/// <summary>
/// Extra units of one quota for one customer, usable from <see cref="EffectiveAt"/> until it expires or is voided,
/// across periods. Each period the plan's allowance is used first; what goes beyond it is drawn from the grants in
/// effect, the one expiring first first.
/// </summary>
public sealed record Grant(
    string Id,
    string CustomerId,
    string Feature,
    GrantKind Kind,
    long Amount,
    DateTimeOffset EffectiveAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? VoidedAt,
    string? Reference,
    string? Note,
    DateTimeOffset CreatedAt)
{
    /// <summary>When it stops giving units: at expiry or when voided, whichever comes first; null: never.</summary>
    public DateTimeOffset? EndsAt => VoidedAt is { } voided && (ExpiresAt is null || voided < ExpiresAt) ? voided : ExpiresAt;

    public bool ActiveAt(DateTimeOffset at) => EffectiveAt <= at && (EndsAt is not { } end || at < end);

    /// <summary>Whether it gives units anywhere in [from, to).</summary>
    public bool Overlaps(DateTimeOffset from, DateTimeOffset to) => EffectiveAt < to && (EndsAt is not { } end || end > from);
}

/// <summary>A grant as asked for: <c>expires_at</c> or <c>expires_in_days</c>, or neither for units that never expire.</summary>
public sealed record GrantRequest(
    string? Feature,
    long? Amount,
    GrantKind? Kind = null,
    DateTimeOffset? EffectiveAt = null,
    DateTimeOffset? ExpiresAt = null,
    int? ExpiresInDays = null,
    string? Reference = null,
    string? Note = null);

/// <summary>A grant with how much of it is used and what is left, as of now.</summary>
public sealed record GrantView(
    string Id,
    string CustomerId,
    string Feature,
    GrantKind Kind,
    string Status,
    long Amount,
    decimal Used,
    decimal Remaining,
    DateTimeOffset EffectiveAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? VoidedAt,
    string? Reference,
    string? Note,
    DateTimeOffset CreatedAt);

public sealed record GrantList(IReadOnlyList<GrantView> Data);

/// <summary>The stable statuses of a grant.</summary>
public static class GrantStatus
{
    public const string Scheduled = "scheduled";
    public const string Active = "active";
    public const string UsedUp = "used_up";
    public const string Expired = "expired";
    public const string Voided = "voided";
}
