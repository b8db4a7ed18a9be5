using System.Collections.Frozen;

namespace Tollgate.Gateway.Access;

/// <summary>What the gateway needs to know about a customer on every request: their plan and the features it enables.</summary>
public sealed record CustomerAccess(string CustomerId, string? ExternalId, string? Plan, FrozenSet<string> EnabledFeatures, long LoadedAtTicks)
{
    public bool Enables(string feature) => EnabledFeatures.Contains(feature);
}
