using System.Text.Json.Nodes;
using Tollgate.Gateway.Usage;
using Tollgate.Metering;

namespace Tollgate.Gateway.Reservations;

/// <summary>How a gateway request ended, for settling what it reserved: its usage record and, built once when asked, its event's properties.</summary>
public sealed class Settlement(UsageRecord record)
{
    JsonObject? _properties;

    public UsageRecord Record { get; } = record;

    /// <summary>False for requests refused before any model ran: they count nothing.</summary>
    public bool Ran => Record.Status != UsageStatus.Rejected;

    public JsonObject Properties => _properties ??= GatewayEvents.Properties(Record);
}
