using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Metering.Queries;

namespace Tollgate.Limits;

/// <summary>A limit request that passed validation, with every default filled in.</summary>
public sealed record LimitSpec(
    LimitScope Scope, string Target, LimitPer Per, LimitMeasure Measure, long Amount, LimitWindow? Window, bool Anchored,
    Enforcement Enforcement, IReadOnlyList<int> Thresholds, string? Description);

/// <summary>What a limit may be, and the period it counts in: pure, tested without a server.</summary>
public static class LimitRules
{
    public const long MaxAmount = 1_000_000_000_000_000;
    public const decimal MaxAmountUsd = 1_000_000_000;
    public static readonly IReadOnlyList<int> DefaultBudgetThresholds = [50, 80, 100];

    public static Result<LimitSpec> Validate(LimitRequest request)
    {
        var v = new Validation();
        if (request.Scope is null) v.Add("scope", "is required: plan, customer or key.");
        v.Text("target", request.Target, required: true, maxLength: 200);
        v.Text("description", request.Description, required: false, maxLength: 500);
        if (request.Measure is not { } measure)
        {
            v.Add("measure", "is required: requests, tokens, concurrent or spend.");
            return v.ToError();
        }

        var scope = request.Scope ?? LimitScope.Customer;
        var per = request.Per ?? (scope == LimitScope.Key ? LimitPer.Key : LimitPer.Customer);
        if (scope == LimitScope.Key && per == LimitPer.Customer) v.Add("per", "must be key or end_user for a limit set on a key.");

        long amount = 0;
        if (measure == LimitMeasure.Spend)
        {
            if (request.Amount is not null) v.Add("amount", "is for counts; a spend limit takes amount_usd.");
            if (request.AmountUsd is not { } usd) v.Add("amount_usd", "is required for a spend limit: dollars, such as 50 or 0.25.");
            else if (usd <= 0 || usd > MaxAmountUsd) v.Add("amount_usd", $"must be more than 0 and at most {MaxAmountUsd:0}.");
            else amount = (long)Math.Ceiling(usd * Nanodollars.PerDollar);
        }
        else
        {
            if (request.AmountUsd is not null) v.Add("amount_usd", "is only for spend limits; use amount.");
            if (request.Amount is not { } count) v.Add("amount", "is required: how many.");
            else if (count <= 0 || count > MaxAmount) v.Add("amount", $"must be between 1 and {MaxAmount}.");
            else amount = count;
        }

        var window = request.Window;
        switch (measure)
        {
            case LimitMeasure.Concurrent:
                if (window is not null) v.Add("window", "must be empty: requests in flight are not counted per window.");
                break;
            case LimitMeasure.Spend:
                window ??= LimitWindow.Month;
                if (window is LimitWindow.Minute or LimitWindow.Hour) v.Add("window", "must be day, week or month for a spend limit.");
                break;
            default:
                window ??= LimitWindow.Minute;
                break;
        }

        var anchored = request.Anchored == true;
        if (anchored && window is not (LimitWindow.Day or LimitWindow.Week or LimitWindow.Month)) v.Add("anchored", "applies to day, week and month windows only.");

        var enforcement = request.Enforcement ?? Enforcement.Hard;
        if (enforcement == Enforcement.Soft) v.Add("enforcement", "must be hard (refuse) or notify (alert only); soft overage billing is for plan quotas.");
        if (measure == LimitMeasure.Concurrent && enforcement != Enforcement.Hard) v.Add("enforcement", "must be hard for a concurrency limit.");

        var thresholds = request.Thresholds ?? (measure == LimitMeasure.Spend ? [.. DefaultBudgetThresholds] : []);
        if (thresholds.Count > 10) v.Add("thresholds", "may hold at most 10 percentages.");
        if (thresholds.Any(t => t is < 1 or > 1000)) v.Add("thresholds", "must be percentages from 1 to 1000.");
        if (thresholds.Distinct().Count() != thresholds.Count) v.Add("thresholds", "must not repeat.");
        if (measure == LimitMeasure.Concurrent && thresholds.Count > 0) v.Add("thresholds", "are not raised for concurrency limits.");

        if (v.Failed) return v.ToError();
        return new LimitSpec(scope, request.Target!.Trim(), per, measure, amount, window, anchored, enforcement, [.. thresholds.Order()], request.Description);
    }

    /// <summary>The period a limit counts in at <paramref name="at"/>; a concurrency limit has one period that never ends.</summary>
    /// <summary>
    /// The period of <paramref name="limit"/> holding <paramref name="at"/>. An anchored limit counts from the customer's
    /// billing anchor; a call with no customer (an operator key naming none) has none, and counts in calendar periods.
    /// </summary>
    public static Period PeriodOf(Limit limit, DateTimeOffset at, DateTimeOffset? anchor)
    {
        at = at.ToUniversalTime();
        return limit.Window switch
        {
            null => new Period(DateTimeOffset.UnixEpoch, DateTimeOffset.MaxValue),
            LimitWindow.Minute => Truncated(at, TimeSpan.FromMinutes(1)),
            LimitWindow.Hour => Truncated(at, TimeSpan.FromHours(1)),
            LimitWindow.Day => Periods.Containing(ResetPeriod.Day, at, limit.Anchored ? anchor : null),
            LimitWindow.Week => Periods.Containing(ResetPeriod.Week, at, limit.Anchored ? anchor : null),
            _ => Periods.Containing(ResetPeriod.Month, at, limit.Anchored ? anchor : null),
        };

        static Period Truncated(DateTimeOffset at, TimeSpan size)
        {
            var start = new DateTimeOffset(at.UtcTicks - at.UtcTicks % size.Ticks, TimeSpan.Zero);
            return new Period(start, start + size);
        }
    }

    /// <summary>A span as OpenAI's rate-limit headers write it: <c>20ms</c>, <c>12s</c>, <c>6m0s</c>, <c>1h2m3s</c>.</summary>
    public static string Duration(TimeSpan span)
    {
        if (span <= TimeSpan.Zero) return "0s";
        if (span < TimeSpan.FromSeconds(1)) return $"{Math.Ceiling(span.TotalMilliseconds):0}ms";
        var seconds = (long)Math.Ceiling(span.TotalSeconds);
        var (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
        return h > 0 ? $"{h}h{m}m{s}s" : m > 0 ? $"{m}m{s}s" : $"{s}s";
    }
}
