using Tollgate.Entitlements;

namespace Tollgate.Gateway.Access;

/// <summary>What the gateway and the entitlement checks need to know about a customer on every request: their plan and entitlements.</summary>
public sealed record CustomerAccess(string CustomerId, string? ExternalId, string? Plan, EntitlementSet Entitlements, long LoadedAtTicks)
{
    public bool Enables(string feature) => Entitlements.Enables(feature);
}
