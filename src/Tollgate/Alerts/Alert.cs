using System.Text.Json.Nodes;

namespace Tollgate.Alerts;

/// <summary>
/// A threshold reached, as written to the outbox for webhooks and listed by <c>GET /alerts</c>: <c>quota.threshold_reached</c>,
/// <c>budget.threshold_reached</c> or <c>limit.threshold_reached</c>, with what was reached in <see cref="Data"/>.
/// </summary>
public sealed record Alert(string Id, string Type, string? CustomerId, JsonObject Data, DateTimeOffset CreatedAt);

/// <summary>One threshold of one counter reached in one period: raised at most once.</summary>
public sealed record ThresholdCrossing(string Subject, string Counter, DateTimeOffset PeriodStart, int Threshold, string? CustomerId, string Type, JsonObject Data);
