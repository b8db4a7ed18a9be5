using Tollgate.Customers;

namespace Tollgate.Portal;

/// <summary>A kind of action in the customer portal; every page and action declares the one it needs.</summary>
public enum PortalPermission
{
    /// <summary>See the plan, usage, invoices, keys, team and webhooks.</summary>
    View,

    /// <summary>Change or cancel the plan, update the payment method.</summary>
    ManageBilling,

    /// <summary>Create, rotate and revoke API keys.</summary>
    ManageKeys,

    /// <summary>Invite and remove members.</summary>
    ManageTeam,
}

/// <summary>What a member's role in its organisation lets it do in the portal (docs/dashboard.md repeats it).</summary>
public static class PortalRoles
{
    public static bool Allows(this Role role, PortalPermission permission) => role switch
    {
        Role.Owner or Role.Admin => true,
        Role.Billing => permission is PortalPermission.View or PortalPermission.ManageBilling,
        Role.Member => permission is PortalPermission.View or PortalPermission.ManageKeys,
        _ => permission is PortalPermission.View,
    };
}

/// <summary>
/// Who is in the portal: a member signed in with its password (with its role), or whoever followed a link the
/// operator's app minted (acting as the customer's owner, as in Stripe's billing portal).
/// </summary>
public sealed record PortalVisitor(
    string CustomerId, string CustomerName, string? MemberId, string Name, Role Role, ApiKeys.KeyMode Mode, string SessionId, string Csrf, string? ReturnUrl)
{
    public bool Can(PortalPermission permission) => Role.Allows(permission);
}
