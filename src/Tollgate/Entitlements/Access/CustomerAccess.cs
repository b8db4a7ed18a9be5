
namespace Tollgate.Entitlements.Access;

/// <summary>
/// What the gateway and the entitlement checks need to know about a customer on every request: their plan and
/// entitlements, and the <see cref="BillingAnchor"/> that anchored periods start from (the customer's creation, until
/// subscriptions set it).
/// </summary>
public sealed record CustomerAccess(string CustomerId, string? ExternalId, string? Plan, EntitlementSet Entitlements, DateTimeOffset BillingAnchor, long LoadedAtTicks)
{
    public bool Enables(string feature) => Entitlements.Enables(feature);
}
