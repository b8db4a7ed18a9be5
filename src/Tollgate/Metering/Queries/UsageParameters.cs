using Tollgate.Common;

namespace Tollgate.Metering.Queries;

/// <summary>Reads the query-string parts of a usage request that minimal APIs cannot bind: filters, grouping and the interval.</summary>
public static class UsageParameters
{
    public const int MaxGroupBy = 4;

    /// <summary><c>filter[model]=gpt-4o&amp;filter[model]=gpt-4o-mini</c>: a property and the values it may have.</summary>
    public static Result<Dictionary<string, string[]>> Filters(IQueryCollection query)
    {
        var filters = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (key, values) in query)
        {
            if (!key.StartsWith("filter[", StringComparison.Ordinal)) continue;
            if (!key.EndsWith(']') || key.Length is <= 8 or > 108 || key.Contains('"', StringComparison.Ordinal))
            {
                return ApiError.Invalid(key, "filters are written filter[property]=value, the property 1 to 100 characters without double quotes.");
            }

            filters[key[7..^1]] = [.. values.OfType<string>()];
        }

        return filters;
    }

    /// <summary><c>group_by=model,end_user</c>: up to four properties, or <c>customer_id</c>.</summary>
    public static Result<List<string>> GroupBy(string? groupBy)
    {
        if (string.IsNullOrEmpty(groupBy)) return new List<string>();
        var names = groupBy.Split(',', StringSplitOptions.TrimEntries);
        if (names.Length > MaxGroupBy || names.Any(n => n.Length is 0 or > 100 || n.Contains('"', StringComparison.Ordinal)) || names.Distinct().Count() != names.Length)
        {
            return ApiError.Invalid("group_by", $"takes 1 to {MaxGroupBy} different property names (or customer_id), separated by commas.");
        }

        return names.ToList();
    }

    public static Result<UsageInterval?> Interval(string? interval) => interval switch
    {
        null or "" => (UsageInterval?)null,
        "hour" => UsageInterval.Hour,
        "day" => UsageInterval.Day,
        "month" => UsageInterval.Month,
        _ => ApiError.Invalid("interval", "must be hour, day or month."),
    };

    /// <summary>The window: both ends given, or this calendar month when neither is.</summary>
    public static Result<Period> Window(DateTimeOffset? from, DateTimeOffset? to, DateTimeOffset now)
    {
        if (from is null && to is null) return Periods.Containing(Catalog.ResetPeriod.Month, now);
        if (from is null || to is null) return ApiError.Invalid(from is null ? "from" : "to", "give both from and to, or neither for this month.");
        if (to <= from) return ApiError.Invalid("to", "must be after from.");
        if (to.Value - from.Value > TimeSpan.FromDays(3660)) return ApiError.Invalid("to", "the window is at most ten years.");
        return new Period(from.Value.ToUniversalTime(), to.Value.ToUniversalTime());
    }
}
