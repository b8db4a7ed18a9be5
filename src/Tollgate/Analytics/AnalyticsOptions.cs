namespace Tollgate.Analytics;

/// <summary>The <c>Analytics</c> settings.</summary>
public sealed class AnalyticsOptions
{
    /// <summary>How often a node reads new subscription events into the MRR movements (a report catches up itself first).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The months before a window's end whose average customer churn rate LTV divides ARPA by.</summary>
    public int LtvTrailingMonths { get; set; } = 6;

    /// <summary>
    /// How long a past-due subscription still counts in MRR; unset, until the dunning gives up and ends it. Applies to
    /// the customers whose movements are recomputed after it is set (each one's next subscription event).
    /// </summary>
    public TimeSpan? PastDueCountsFor { get; set; }

    /// <summary>The currency every currency's MRR is converted into with <c>currency=all</c>, at the operator's exchange rates.</summary>
    public string ReportingCurrency { get; set; } = "USD";
}
