using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Entitlements;
using Tollgate.Entitlements.Grants;
using Tollgate.Entitlements.Access;
using Tollgate.Limits;
using Tollgate.Metering;
using Tollgate.Metering.Queries;

namespace Tollgate.Alerts;

/// <summary>
/// Raises alerts when usage reaches a threshold of a quota (<see cref="AlertOptions.QuotaThresholds"/>) or of a limit
/// or budget (its own thresholds), once per period. Writers tell it whose usage was stored (<see cref="Touch"/>); every
/// <see cref="AlertOptions.Interval"/> it looks at those customers only, from the stored usage, so an alert never
/// runs ahead of what was recorded and a quiet customer costs nothing. Quota totals come from the same cache checks
/// use, which storing usage has emptied for the customer before it is touched here.
/// </summary>
public sealed partial class ThresholdMonitor(
    CustomerAccessCache customers,
    QuotaUsageCache quotaUsage,
    GrantBalances grants,
    LimitBook limits,
    LimitUsage limitUsage,
    AlertStore alerts,
    IOptions<AlertOptions> options,
    TimeProvider time,
    ILogger<ThresholdMonitor> log) : BackgroundService, IUsageObserver
{
    readonly ConcurrentDictionary<string, ConcurrentDictionary<(string? Key, string? EndUser), byte>> _touched = new(StringComparer.Ordinal);

    /// <summary>Usage of this customer (through this key, for this end user) was stored.</summary>
    public void Stored(string customerId, string? keyId, string? endUser) => Touch(customerId, keyId, endUser);

    public void Touch(string customerId, string? keyId, string? endUser) =>
        _touched.GetOrAdd(customerId, _ => new()).TryAdd((keyId, endUser), 0);

    /// <summary>Looks at every customer touched since the last look; returns how many alerts were raised.</summary>
    public async Task<int> EvaluateAsync(CancellationToken ct)
    {
        var raised = 0;
        foreach (var customerId in _touched.Keys)
        {
            if (!_touched.TryRemove(customerId, out var touched)) continue;
            try
            {
                raised += await EvaluateAsync(customerId, [.. touched.Keys], ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogCheckFailed(log, e, customerId);
                foreach (var pair in touched.Keys) Touch(customerId, pair.Key, pair.EndUser);
            }
        }

        return raised;
    }

    async Task<int> EvaluateAsync(string customerId, IReadOnlyList<(string? Key, string? EndUser)> touched, CancellationToken ct)
    {
        var customer = await customers.GetAsync(customerId, ct);
        if (customer is null) return 0;
        var now = time.GetUtcNow();
        var crossings = new List<ThresholdCrossing>();
        await QuotasAsync(customer, now, crossings, ct);
        await LimitsAsync(customer, touched, now, crossings, ct);
        return await alerts.RaiseAsync(crossings, ct);
    }

    async Task QuotasAsync(CustomerAccess customer, DateTimeOffset now, List<ThresholdCrossing> crossings, CancellationToken ct)
    {
        foreach (var entitlement in customer.Entitlements.Features.Values)
        {
            if (entitlement is not { Feature.Type: FeatureType.Quota, Metric: { } metric, EffectiveLimit: not null }) continue;
            var period = Periods.Of(entitlement.Feature, now);
            var allowance = entitlement.Over(period).EffectiveLimit!.Value; // the period's: a share of each plan's when the plan changed in it
            var granted = await grants.CapacityAsync(customer.CustomerId, entitlement, now, ct);
            // Against the allowance and what grants gave: usage no grant could cover is over the limit, not part of it.
            var limit = allowance + granted.Granted;
            if (limit <= 0) continue;
            var used = await quotaUsage.TotalAsync(customer.CustomerId, metric, period, ct);
            foreach (var threshold in ThresholdRules.Reached(options.Value.QuotaThresholds, used, limit))
            {
                crossings.Add(new ThresholdCrossing(customer.CustomerId, entitlement.Feature.Code, period.Start, threshold, customer.CustomerId, "quota.threshold_reached",
                    new QuotaThresholdReached(customer.CustomerId, entitlement.Feature.Code, threshold, used, limit, granted.Granted, EnumText.Snake(entitlement.Enforcement), period.Start, period.End)));
            }
        }
    }

    async Task LimitsAsync(CustomerAccess customer, IReadOnlyList<(string? Key, string? EndUser)> touched, DateTimeOffset now, List<ThresholdCrossing> crossings, CancellationToken ct)
    {
        var seen = new HashSet<(string Limit, string Subject)>();
        foreach (var (keyId, endUser) in touched)
        {
            foreach (var limit in await limits.ForAsync(customer.Plan, customer.CustomerId, keyId))
            {
                if (limit.Thresholds.Count == 0 || limit.Window is null) continue;
                if (LimitSubject.Of(limit, customer.CustomerId, keyId, endUser) is not { } subject || !seen.Add((limit.Id, subject.Id))) continue;
                var period = LimitRules.PeriodOf(limit, now, customer.BillingAnchor);
                var used = await limitUsage.UsedAsync(limit.Measure, subject, period, ct);
                foreach (var threshold in ThresholdRules.Reached(limit.Thresholds, used, limit.Amount))
                {
                    var spend = limit.Measure == LimitMeasure.Spend;
                    var data = new LimitThresholdReached(
                        customer.CustomerId, limit.Id, EnumText.Snake(limit.Measure), EnumText.Snake(limit.Per), subject.Id, threshold, used, limit.Amount,
                        EnumText.Snake(limit.Enforcement), period.Start, period.End, spend ? used / (decimal)Nanodollars.PerDollar : null, limit.AmountUsd);
                    var type = limit.Measure == LimitMeasure.Spend ? "budget.threshold_reached" : "limit.threshold_reached";
                    crossings.Add(new ThresholdCrossing(subject.Id, limit.Id, period.Start, threshold, customer.CustomerId, type, data));
                }
            }
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Periodic.RunAsync(options.Value.Interval, time, EvaluateAsync, e => LogRoundFailed(log, e), stoppingToken);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Checking thresholds failed; will look again.")]
    static partial void LogRoundFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "Checking thresholds of {CustomerId} failed; will look again.")]
    static partial void LogCheckFailed(ILogger logger, Exception exception, string customerId);
}
