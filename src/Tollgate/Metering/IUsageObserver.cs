namespace Tollgate.Metering;

/// <summary>
/// Told each time usage of a customer is stored, sent events and gateway usage alike, after it is durable: the alert
/// thresholds look again. Declared here, below its observers, so that metering depends on none of them.
/// </summary>
public interface IUsageObserver
{
    void Stored(string customerId, string? keyId, string? endUser);
}
