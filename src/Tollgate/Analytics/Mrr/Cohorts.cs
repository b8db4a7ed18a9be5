namespace Tollgate.Analytics.Mrr;

/// <summary>One month since a cohort's start: its customers still paying at the month's end and their MRR, and both as shares of month 0's.</summary>
public sealed record CohortMonth(int Month, int Customers, long Mrr, decimal? CustomerRetention, decimal? MrrRetention);

/// <summary>The customers whose first paid subscription began in one calendar month (UTC), followed month by month.</summary>
public sealed record Cohort(string Month, int Customers, long Mrr, IReadOnlyList<CohortMonth> Retention);

/// <summary><c>GET /api/v1/analytics/cohorts</c>: one currency's cohorts, or, converted, every currency's (<see cref="CohortReport"/>).</summary>
public sealed record CohortReportView(string Currency, IReadOnlyList<Cohort> Data)
{
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? ConvertedFrom { get; init; }

    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? RatesAt { get; init; }

    public string ToCsv()
    {
        var csv = new System.Text.StringBuilder();
        Common.Csv.Line(csv, ["cohort", "currency", "cohort_customers", "month", "customers", "mrr", "customer_retention", "mrr_retention"]);
        foreach (var c in Data)
        {
            foreach (var m in c.Retention)
            {
                Common.Csv.Line(csv, [c.Month, Currency, Common.Csv.Number(c.Customers), Common.Csv.Number(m.Month), Common.Csv.Number(m.Customers), Common.Csv.Number(m.Mrr),
                    Common.Csv.Decimal(m.CustomerRetention), Common.Csv.Decimal(m.MrrRetention)]);
            }
        }

        return csv.ToString();
    }
}

/// <summary>
/// Cohorts by the month of each customer's first <c>new</c> movement, with retention by customers and by MRR at the
/// end of each calendar month since (month 0 is the cohort's own month, so a customer who left within it is in the
/// cohort and not retained even in month 0), up to the month of <paramref name="until"/>.
/// </summary>
public static class Cohorts
{
    /// <summary>The most months a cohort report follows (a hundred years).</summary>
    public const int MostMonths = 1_200;

    public static IReadOnlyList<Cohort> Of(IEnumerable<MrrMovement> movements, DateTimeOffset until)
    {
        var last = MonthOf(until);
        var cohorts = new SortedDictionary<DateTime, (int[] Size, int[] Customers, long[] Mrr)>(); // added up as customers are walked: no array per customer
        foreach (var customer in movements.GroupBy(m => m.CustomerId, StringComparer.Ordinal))
        {
            var list = customer.OrderBy(m => m.At).ToList();
            var first = list.FindIndex(m => m.Kind == MovementKind.New);
            if (first < 0) continue;
            var start = MonthOf(list[first].At);
            var months = Months(start, last) + 1;
            if (months > MostMonths) throw new ArgumentOutOfRangeException(nameof(until), $"a cohort report follows at most {MostMonths} months.");
            if (!cohorts.TryGetValue(start, out var cohort)) cohorts[start] = cohort = (new int[1], new int[months], new long[months]);
            cohort.Size[0]++;
            var next = first;
            long current = 0;
            for (var k = 0; k < months; k++)
            {
                var end = start.AddMonths(k + 1);
                for (; next < list.Count && list[next].At.UtcDateTime < end; next++) current = list[next].MrrAfter;
                if (current <= 0) continue;
                cohort.Customers[k]++;
                cohort.Mrr[k] = checked(cohort.Mrr[k] + current);
            }
        }

        return [.. cohorts.Select(c =>
        {
            var (size, customers, mrr) = c.Value;
            var retention = customers.Select((n, k) => new CohortMonth(k, n, mrr[k], Share(n, customers[0]), Share(mrr[k], mrr[0]))).ToList();
            return new Cohort(c.Key.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture), size[0], mrr[0], retention);
        })];
    }

    static DateTime MonthOf(DateTimeOffset at) => new(at.UtcDateTime.Year, at.UtcDateTime.Month, 1, 0, 0, 0, DateTimeKind.Utc);

    static int Months(DateTime from, DateTime to) => (to.Year - from.Year) * 12 + to.Month - from.Month;

    static decimal? Share(long part, long whole) => whole == 0 ? null : Math.Round((decimal)part / whole, 6);
}
