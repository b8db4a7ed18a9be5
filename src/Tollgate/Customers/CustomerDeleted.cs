namespace Tollgate.Customers;

/// <summary>The <c>customer.deleted</c> event: the customer gone, when, and the keys revoked with it.</summary>
public sealed record CustomerDeleted(string Id, DateTimeOffset DeletedAt, IReadOnlyList<string> RevokedKeys);
