using Tollgate.Metering;
using Tollgate.Gateway.Usage;

namespace Tollgate.Gateway.Reservations;

/// <summary>How a gateway request ended, for settling what it reserved: its usage record and, built once when asked, its event's properties.</summary>
public sealed class Settlement(UsageRecord record)
{
    EventValues? _properties;

    public UsageRecord Record { get; } = record;

    /// <summary>False for requests refused before any model ran: they count nothing.</summary>
    public bool Ran => Record.Status != UsageStatus.Rejected;

    public EventValues Properties => _properties ??= GatewayEvents.Values(Record);
}
