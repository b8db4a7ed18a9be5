using System.Text.Json.Nodes;

namespace Tollgate.Alerts;

/// <summary>
/// A threshold reached, as written to the outbox for webhooks and listed by <c>GET /alerts</c>: <c>quota.threshold_reached</c>,
/// <c>budget.threshold_reached</c> or <c>limit.threshold_reached</c>, with what was reached in <see cref="Data"/>.
/// </summary>
public sealed record Alert(string Id, string Type, string? CustomerId, JsonObject Data, DateTimeOffset CreatedAt);

/// <summary>One threshold of one counter reached in one period: raised at most once.</summary>
public sealed record ThresholdCrossing(string Subject, string Counter, DateTimeOffset PeriodStart, int Threshold, string? CustomerId, string Type, object Data);

/// <summary>The <c>quota.threshold_reached</c> event: a share (percent) of a quota reached in its period, with what was used of what limit.</summary>
public sealed record QuotaThresholdReached(
    string CustomerId, string Feature, int Threshold, decimal Used, decimal Limit, decimal Granted, string Enforcement, DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd);

/// <summary>
/// The <c>budget.threshold_reached</c> (spend, in nanodollars, and in dollars in the <c>_usd</c> fields) and
/// <c>limit.threshold_reached</c> (requests or tokens) events: a share of a limit reached by its subject in its window.
/// </summary>
public sealed record LimitThresholdReached(
    string CustomerId, string LimitId, string Measure, string Per, string Subject, int Threshold, long Used, long Amount, string Enforcement,
    DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd, decimal? UsedUsd, decimal? AmountUsd);
