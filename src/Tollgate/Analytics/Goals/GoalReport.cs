using System.Text;
using Tollgate.Analytics.Mrr;
using Tollgate.Common;

namespace Tollgate.Analytics.Goals;

/// <summary>Each goal's metric now and <see cref="TrendMonths"/> months ago, made into its status (<see cref="GoalRules"/>).</summary>
public sealed class GoalReport(GoalStore goals, MrrStore mrr, TimeProvider time)
{
    public const int TrendMonths = 3;

    public async Task<IReadOnlyList<GoalStatus>> StatusAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var statuses = new List<GoalStatus>();
        foreach (var goal in await goals.ListAsync(ct))
        {
            var current = await ValueAsync(goal, now, ct);
            var then = await ValueAsync(goal, now.AddMonths(-TrendMonths), ct);
            statuses.Add(GoalRules.Status(goal, current, then, TrendMonths, now));
        }

        return statuses;
    }

    public static string ToCsv(IReadOnlyList<GoalStatus> goals)
    {
        var csv = new StringBuilder();
        Csv.Line(csv, ["id", "name", "metric", "currency", "target", "due_at", "current", "progress", "required_per_month", "trend_per_month", "forecast", "on_track", "met"]);
        foreach (var g in goals)
        {
            Csv.Line(csv, [g.Id, g.Name, EnumText.Snake(g.Metric), g.Currency, Csv.Decimal(g.Target), Csv.Time(g.DueAt), Csv.Decimal(g.Current), Csv.Decimal(g.Progress),
                Csv.Decimal(g.RequiredPerMonth), Csv.Decimal(g.TrendPerMonth), Csv.Decimal(g.Forecast), g.OnTrack ? "true" : "false", g.Met ? "true" : "false"]);
        }

        return csv.ToString();
    }

    async Task<decimal> ValueAsync(Goal goal, DateTimeOffset at, CancellationToken ct)
    {
        if (goal.Metric == GoalMetric.CustomerChurnRate)
        {
            // The month before at.
            var start = await mrr.MrrByCustomerAsync(goal.Currency, at.AddMonths(-1), ct);
            return MrrMetrics.Of(start, await mrr.AllMovementsAsync(goal.Currency, at.AddMonths(-1), at, ct)).CustomerChurnRate ?? 0;
        }

        var (value, customers) = await mrr.StandingAsync(goal.Currency, at, ct);
        return goal.Metric switch
        {
            GoalMetric.Mrr => value,
            GoalMetric.Arr => checked(value * 12),
            _ => customers,
        };
    }
}
