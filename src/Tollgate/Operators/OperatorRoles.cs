namespace Tollgate.Operators;

/// <summary>What an operator user may do in the dashboard, by role.</summary>
public enum OperatorRole
{
    /// <summary>Everything, operators and owners included.</summary>
    Owner,

    /// <summary>Everything but managing operators.</summary>
    Admin,

    /// <summary>Reads everything; acts on invoices, credit notes, payments and refunds.</summary>
    Finance,

    /// <summary>Reads everything; acts on customers (their details and keys), never on money.</summary>
    Support,

    /// <summary>Reads everything, changes nothing.</summary>
    Viewer,
}

/// <summary>A kind of action in the dashboard; every page and action declares the one it needs (<see cref="OperatorAccess"/>).</summary>
public enum OperatorPermission
{
    /// <summary>Open pages and download reports.</summary>
    View,

    /// <summary>Change customers, their members and their keys.</summary>
    ManageCustomers,

    /// <summary>Finalize, void and credit invoices; refund payments.</summary>
    ManageBilling,

    /// <summary>Apply catalog files and change plans.</summary>
    ManageCatalog,

    /// <summary>Add, change and replay webhook endpoints.</summary>
    ManageWebhooks,

    /// <summary>Change settings: exchange rates, goals.</summary>
    ManageSettings,

    /// <summary>Add, change and remove operator users, and end their sessions.</summary>
    ManageOperators,
}

/// <summary>The one table of which role may do what (docs/dashboard.md repeats it).</summary>
public static class OperatorRoles
{
    public static bool Allows(this OperatorRole role, OperatorPermission permission) => role switch
    {
        OperatorRole.Owner => true,
        OperatorRole.Admin => permission != OperatorPermission.ManageOperators,
        OperatorRole.Finance => permission is OperatorPermission.View or OperatorPermission.ManageBilling,
        OperatorRole.Support => permission is OperatorPermission.View or OperatorPermission.ManageCustomers,
        OperatorRole.Viewer => permission is OperatorPermission.View,
        _ => false,
    };

    /// <summary>The role's name as stored and shown: <c>owner</c>, <c>admin</c>, …</summary>
    public static string Name(this OperatorRole role) => Common.EnumText.Snake(role);

    public static OperatorRole? Parse(string? text) =>
        Enum.TryParse<OperatorRole>(text, ignoreCase: true, out var role) && Enum.IsDefined(role) && !int.TryParse(text, out _) ? role : null;
}
