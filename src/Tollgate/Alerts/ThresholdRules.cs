namespace Tollgate.Alerts;

/// <summary>Which thresholds usage has reached: pure, tested without a server.</summary>
public static class ThresholdRules
{
    /// <summary>The percentages of <paramref name="limit"/> that <paramref name="used"/> has reached, lowest first.</summary>
    public static IEnumerable<int> Reached(IReadOnlyList<int> thresholds, decimal used, long limit)
    {
        if (limit <= 0) yield break;
        foreach (var threshold in thresholds.Order())
        {
            if (used * 100 >= (decimal)threshold * limit) yield return threshold;
        }
    }
}
