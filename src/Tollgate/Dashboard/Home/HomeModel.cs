using Tollgate.Alerts;
using Tollgate.Analytics.Customers;
using Tollgate.Analytics.Goals;
using Tollgate.Analytics.Mrr;

namespace Tollgate.Dashboard.Home;

/// <summary>One month of the home page's MRR chart.</summary>
public sealed record MonthFigures(DateTimeOffset Start, long Mrr, int Customers, MrrMovementTotals Movements);

/// <summary>
/// The home page, in one currency (<see cref="Currency"/>): the last twelve months of MRR and movements, this month's
/// rates, the goals, today's signups, revenue and failed payments, who is near a limit and the latest alerts.
/// <see cref="Converted"/> when every currency is shown in the reporting currency; <see cref="Notice"/> says why not when it could not be.
/// </summary>
public sealed record HomeModel(
    string Currency, bool Converted, IReadOnlyList<string> Currencies, string? Notice, IReadOnlyList<MonthFigures> Months, MetricsView Month,
    IReadOnlyList<GoalStatus> Goals, long SignupsToday, long RevenueToday, int FailedPaymentsToday,
    IReadOnlyList<NearLimit> NearLimits, IReadOnlyList<Alert> Alerts);
