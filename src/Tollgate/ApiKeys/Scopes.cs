namespace Tollgate.ApiKeys;

/// <summary>What a key may do. Admin keys carry <c>admin</c> or <c>admin:read</c>; customer keys the rest.</summary>
public static class Scopes
{
    public const string Admin = "admin";
    public const string AdminRead = "admin:read";
    public const string Gateway = "gateway";
    public const string UsageWrite = "usage:write";
    public const string UsageRead = "usage:read";
    public const string CustomerRead = "customer:read";
    public const string KeysWrite = "keys:write";

    /// <summary>Register and manage webhook endpoints for the key's own customer's events.</summary>
    public const string WebhooksWrite = "webhooks:write";

    public static IReadOnlyList<string> ForAdmins { get; } = [Admin, AdminRead];

    public static IReadOnlyList<string> ForCustomers { get; } = [Gateway, UsageWrite, UsageRead, CustomerRead, KeysWrite, WebhooksWrite];

    public static IReadOnlyList<string> Defaults(KeyKind kind) => kind == KeyKind.Admin
        ? [Admin]
        : [Gateway, UsageRead, CustomerRead];

    public static IReadOnlyList<string> Allowed(KeyKind kind) => kind == KeyKind.Admin ? ForAdmins : ForCustomers;
}
