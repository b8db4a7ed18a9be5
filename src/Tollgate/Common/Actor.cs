namespace Tollgate.Common;

/// <summary>Who made a change, as the audit log records it.</summary>
public sealed record Actor(string Type, string? Id, string? RequestId)
{
    public static Actor Cli { get; } = new("cli", null, null);

    public static Actor System { get; } = new("system", null, null);
}
