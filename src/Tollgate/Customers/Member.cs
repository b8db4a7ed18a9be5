namespace Tollgate.Customers;

/// <summary>What a member may do inside their organisation.</summary>
public enum Role
{
    Owner,
    Admin,
    Billing,
    Member,
    Viewer,
}

/// <summary>A person in a customer's team.</summary>
public sealed record Member
{
    public required string Id { get; init; }
    public required string CustomerId { get; init; }
    public required string Email { get; init; }
    public string? Name { get; init; }
    public required Role Role { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
}

public sealed record AddMemberRequest(string? Email, string? Name = null, Role? Role = null);

public sealed record UpdateMemberRequest(string? Name = null, Role? Role = null);

public enum InvitationStatus
{
    Pending,
    Accepted,
    Revoked,
    Expired,
}

/// <summary>An offer to join a customer's team, redeemed with a token that is shown once.</summary>
public sealed record Invitation
{
    public required string Id { get; init; }
    public required string CustomerId { get; init; }
    public required string Email { get; init; }
    public required Role Role { get; init; }
    public required InvitationStatus Status { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? AcceptedAt { get; init; }
    public string? MemberId { get; init; }

    /// <summary>The token to send to the invitee, present only in the response that created it.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Token { get; init; }
}

public sealed record InviteRequest(string? Email, Role? Role = null, int? ExpiresInDays = null);

public sealed record AcceptInvitationRequest(string? Token, string? Name = null);
