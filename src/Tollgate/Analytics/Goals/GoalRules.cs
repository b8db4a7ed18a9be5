namespace Tollgate.Analytics.Goals;

/// <summary>
/// Progress and forecast of a goal (docs/analytics.md). The trend is the metric's average change a month over the
/// trailing months (its value now less its value then, over their number); the forecast carries that trend on in a
/// straight line to the due date (a month is 30.4375 days); a rate (churn) has no line to carry on, and its forecast
/// is the last month's rate; the trajectory needed is what is left to gain (or to lose)
/// over the months left. A goal to reach is on track when the forecast reaches the target; a goal to stay under (churn)
/// when the forecast is at or under it.
/// </summary>
public static class GoalRules
{
    public const decimal DaysPerMonth = 30.4375m;

    public static GoalStatus Status(Goal goal, decimal current, decimal trailingValue, int trailingMonths, DateTimeOffset now)
    {
        var trend = trailingMonths > 0 ? Math.Round((current - trailingValue) / trailingMonths, 6) : 0;
        var monthsLeft = goal.DueAt > now ? (decimal)(goal.DueAt - now).TotalDays / DaysPerMonth : 0;
        var forecast = goal.AtMost ? current : Math.Round(current + trend * monthsLeft, 6);
        var met = goal.AtMost ? current <= goal.Target : current >= goal.Target;
        return new GoalStatus(
            goal.Id, goal.Name, goal.Metric, goal.Currency, goal.Target, goal.DueAt, current,
            goal.Target == 0 ? null : Math.Round(current / goal.Target, 6),
            monthsLeft > 0 ? Math.Round((goal.Target - current) / monthsLeft, 6) : null,
            trend, forecast,
            goal.AtMost ? forecast <= goal.Target : forecast >= goal.Target,
            met);
    }
}
