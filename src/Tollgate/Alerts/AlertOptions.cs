namespace Tollgate.Alerts;

/// <summary>When usage alerts are raised.</summary>
public sealed class AlertOptions
{
    public const string Section = "Alerts";

    /// <summary>Percentages of every quota at which an alert is raised, once per period (80: the seeds' upgrade prompt).</summary>
    public List<int> QuotaThresholds { get; set; } = [50, 80, 100];

    /// <summary>How often usage recorded since the last look is checked against thresholds.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);
}
