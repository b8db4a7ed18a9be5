namespace Tollgate.Analytics.Customers;

/// <summary>What the health score is made from, for one customer at one moment.</summary>
public sealed record HealthInputs(
    long RequestsLast30Days, long RequestsPrevious30Days, int? DaysSinceLastRequest, int FailedPaymentsLast90Days, int DowngradesLast90Days,
    int MembersUsed, long SeatsPaid, long Mrr, bool EverPaid, int? HighestLimitShare = null);

/// <summary>One signal of the score: what it measured, and the points it took off (0 when all is well).</summary>
public sealed record HealthSignal(string Name, string Value, int Contribution, string Reason);

public sealed record HealthScore(int Score, string ChurnRisk, IReadOnlyList<HealthSignal> Signals);

/// <summary>
/// The health score (docs/analytics.md): 100, less the points each signal takes off, never under 0; churn risk
/// <c>low</c> from 70, <c>medium</c> from 40, <c>high</c> below, and <c>churned</c> for a customer that paid and pays no
/// more. Signals: usage against the previous 30 days (−25 under half, −10 under 80 %), days since the last request
/// (−25 past 30, −15 past 14, −5 past 7; −20 for none ever), failed payments in 90 days (−10 each, at most −30),
/// downgrades in 90 days (−10 each, at most −20), and seats used (−10 when fewer than half of those paid for are taken);
/// the share of its quotas and limits it reached this period is shown too, taking nothing off (a customer at its
/// limits uses what it pays for: the upgrade prompt's signal, not a risk).
/// </summary>
public static class HealthRules
{
    public static HealthScore Of(HealthInputs x)
    {
        var signals = new List<HealthSignal>
        {
            UsageTrend(x.RequestsLast30Days, x.RequestsPrevious30Days),
            LastRequest(x.DaysSinceLastRequest),
            new("failed_payments", x.FailedPaymentsLast90Days.ToString(System.Globalization.CultureInfo.InvariantCulture), -Math.Min(30, 10 * x.FailedPaymentsLast90Days),
                x.FailedPaymentsLast90Days == 0 ? "no failed payment in 90 days" : $"{x.FailedPaymentsLast90Days} invoice(s) with a failed payment in 90 days"),
            new("downgrades", x.DowngradesLast90Days.ToString(System.Globalization.CultureInfo.InvariantCulture), -Math.Min(20, 10 * x.DowngradesLast90Days),
                x.DowngradesLast90Days == 0 ? "no downgrade in 90 days" : $"MRR went down {x.DowngradesLast90Days} time(s) in 90 days"),
            Seats(x.MembersUsed, x.SeatsPaid),
            x.HighestLimitShare is { } share
                ? new("limit_utilisation", $"{share}%", 0, $"at {share} % of a quota or limit this period: using what it pays for (offer an upgrade)")
                : new("limit_utilisation", "under 80%", 0, "no quota or limit at 80 % this period"),
        };
        var score = Math.Max(0, 100 + signals.Sum(s => s.Contribution));
        var risk = x.EverPaid && x.Mrr == 0 ? "churned" : score >= 70 ? "low" : score >= 40 ? "medium" : "high";
        return new HealthScore(score, risk, signals);
    }

    static HealthSignal UsageTrend(long last, long previous)
    {
        if (previous == 0) return new("usage_trend", last == 0 ? "none" : "new", 0, last == 0 ? "no requests in either of the last two 30-day periods" : "requests began in the last 30 days");
        var ratio = (decimal)last / previous;
        var points = ratio < 0.5m ? -25 : ratio < 0.8m ? -10 : 0;
        return new("usage_trend", Math.Round(ratio, 2).ToString(System.Globalization.CultureInfo.InvariantCulture), points,
            $"{last} requests in the last 30 days against {previous} in the 30 before");
    }

    static HealthSignal LastRequest(int? days) => days switch
    {
        null => new("days_since_last_request", "never", -20, "no request through the gateway yet"),
        > 30 => new("days_since_last_request", $"{days}", -25, $"the last request was {days} days ago"),
        > 14 => new("days_since_last_request", $"{days}", -15, $"the last request was {days} days ago"),
        > 7 => new("days_since_last_request", $"{days}", -5, $"the last request was {days} days ago"),
        _ => new("days_since_last_request", $"{days}", 0, "a request in the last week"),
    };

    static HealthSignal Seats(int used, long paid) => paid <= 1
        ? new("seats_used", $"{used}", 0, "no seats to fill")
        : new("seats_used", $"{used}/{paid}", used * 2 < paid ? -10 : 0, $"{used} members for {paid} seats paid for");
}
