namespace Tollgate.Operators;

/// <summary>A person who signs in to the dashboard, and what their role lets them do.</summary>
public sealed record OperatorUser(string Id, string Email, string Name, OperatorRole Role, DateTimeOffset CreatedAt, DateTimeOffset? LockedUntil);

/// <summary>One signed-in browser of an operator user.</summary>
public sealed record OperatorSession(string Id, string UserId, DateTimeOffset CreatedAt, DateTimeOffset LastSeenAt, string? UserAgent, string? Address);

/// <summary>The signed-in operator of a request: who, which session, and the anti-forgery token its forms carry.</summary>
public sealed record SignedInOperator(OperatorUser User, string SessionId, string Csrf)
{
    public bool Can(OperatorPermission permission) => User.Role.Allows(permission);
}
