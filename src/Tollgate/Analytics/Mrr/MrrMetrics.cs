namespace Tollgate.Analytics.Mrr;

/// <summary>The rates of one window, as fractions (0.04 is 4 %); null where the denominator is zero.</summary>
public sealed record MrrRates(
    long MrrStart, long MrrEnd, int CustomersStart, int CustomersEnd, int ChurnedCustomers,
    decimal? CustomerChurnRate, decimal? GrossMrrChurnRate, decimal? NetMrrChurnRate, decimal? GrossRevenueRetention, decimal? NetRevenueRetention,
    long? Arpa, decimal? QuickRatio);

/// <summary>
/// The rates of a window from the MRR at its start (per customer) and its movements, by ChartMogul's definitions
/// (docs/analytics.md): customer churn is the customers paying at the start who churned in the window over those
/// customers (so a customer who joined and left in the window is not counted); gross MRR churn is churn and
/// contraction over the starting MRR, net MRR churn that less expansion and reactivation; gross and net revenue
/// retention are the starting customers' MRR at the end over their MRR at the start, each customer's capped at its
/// start for gross; ARPA is MRR over paying customers at the end (rounded once, half away from zero); the quick ratio
/// is new, expansion and reactivation over contraction and churn.
/// </summary>
public static class MrrMetrics
{
    public static MrrRates Of(IReadOnlyDictionary<string, long> startByCustomer, IReadOnlyList<MrrMovement> movements)
    {
        var start = startByCustomer.Where(c => c.Value > 0).ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);
        var end = new Dictionary<string, long>(start, StringComparer.Ordinal);
        long added = 0, expanded = 0, contracted = 0, churned = 0, reactivated = 0;
        var churnedStarters = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in movements.OrderBy(m => m.At))
        {
            end[m.CustomerId] = m.MrrAfter;
            switch (m.Kind)
            {
                case MovementKind.New: added += m.Amount; break;
                case MovementKind.Expansion: expanded += m.Amount; break;
                case MovementKind.Reactivation: reactivated += m.Amount; break;
                case MovementKind.Contraction: contracted -= m.Amount; break;
                case MovementKind.Churn:
                    churned -= m.Amount;
                    if (start.ContainsKey(m.CustomerId)) churnedStarters.Add(m.CustomerId);
                    break;
            }
        }

        long mrrStart = start.Values.Sum(), mrrEnd = end.Values.Sum();
        var customersEnd = end.Values.Count(v => v > 0);
        long retainedGross = start.Sum(c => Math.Min(c.Value, end[c.Key])), retainedNet = start.Sum(c => end[c.Key]);
        return new MrrRates(
            mrrStart, mrrEnd, start.Count, customersEnd, churnedStarters.Count,
            Ratio(churnedStarters.Count, start.Count),
            Ratio(churned + contracted, mrrStart),
            Ratio(churned + contracted - expanded - reactivated, mrrStart),
            Ratio(retainedGross, mrrStart),
            Ratio(retainedNet, mrrStart),
            customersEnd == 0 ? null : Billing.MinorUnits.Round((decimal)mrrEnd / customersEnd),
            Ratio(added + expanded + reactivated, churned + contracted));
    }

    /// <summary>
    /// Lifetime value: ARPA over the average monthly customer churn rate of the trailing months. With no churn in them,
    /// the churn rate is taken as one customer lost over the whole window (a floor, so LTV stays finite and errs low:
    /// <c>LtvBasis</c> says so). Null without paying customers.
    /// </summary>
    public static (long? Ltv, decimal? MonthlyChurn, string Basis) Ltv(long? arpa, IReadOnlyList<MrrRates> trailingMonths)
    {
        var months = trailingMonths.Where(m => m.CustomersStart > 0).ToList();
        if (arpa is null || months.Count == 0) return (null, null, "no_paying_customers");
        var churn = months.Average(m => m.CustomerChurnRate!.Value);
        var basis = "churn";
        if (churn == 0)
        {
            churn = 1m / months.Sum(m => m.CustomersStart);
            basis = "no_churn_floor";
        }

        return (Billing.MinorUnits.Round(arpa.Value / churn), Math.Round(churn, 6), basis);
    }

    static decimal? Ratio(long numerator, long denominator) => denominator == 0 ? null : Math.Round((decimal)numerator / denominator, 6);
}
