using Tollgate.Common;

namespace Tollgate.Catalog;

/// <summary>
/// Checks catalog specs and brings them to one normal form (defaults filled, codes canonical, lists sorted),
/// so two specs that mean the same compare equal. Pure: no I/O.
/// </summary>
public static class CatalogRules
{
    /// <summary>The largest amount accepted anywhere, in minor units: ten billion dollars leaves room to multiply.</summary>
    public const long MaxAmount = 1_000_000_000_000;
    public const int MaxTrialDays = 365;

    public static Validation CheckMetric(MetricSpec spec, Validation check, string at = "")
    {
        check.Code($"{at}code", spec.Code).Text($"{at}name", spec.Name, required: true).Text($"{at}description", spec.Description, false, 1000);
        var aggregation = spec.Aggregation ?? Aggregation.Count;
        if (aggregation == Aggregation.Count && spec.Field is not null) check.Add($"{at}field", "must be empty for a count.");
        if (aggregation != Aggregation.Count && string.IsNullOrWhiteSpace(spec.Field)) check.Add($"{at}field", $"is required for {Name(aggregation)}: the event property to aggregate.");
        check.Text($"{at}field", spec.Field, required: false, 100);
        if (spec.Event is not null) check.Code($"{at}event", spec.Event);
        if (spec.AllowNegative == true && aggregation is not (Aggregation.Sum or Aggregation.Latest))
        {
            check.Add($"{at}allow_negative", "only a sum or a latest value can take negative numbers.");
        }

        foreach (var (property, values) in spec.Filters ?? [])
        {
            if (property.Length is 0 or > 100) check.Add($"{at}filters", "property names must be 1 to 100 characters.");
            if (values is not { Length: > 0 }) check.Add($"{at}filters.{property}", "must list at least one value.");
        }

        return check;
    }

    public static MetricSpec Normalize(MetricSpec spec) => spec with
    {
        Name = spec.Name?.Trim(),
        Aggregation = spec.Aggregation ?? Aggregation.Count,
        Event = spec.Event == spec.Code ? null : spec.Event,
        AllowNegative = spec.AllowNegative == true ? true : null,
        Filters = (spec.Filters ?? []).OrderBy(f => f.Key, StringComparer.Ordinal)
            .ToDictionary(f => f.Key, f => f.Value.Distinct().Order(StringComparer.Ordinal).ToArray(), StringComparer.Ordinal),
    };

    public static Validation CheckFeature(FeatureSpec spec, Func<string, bool> metricExists, Validation check, string at = "")
    {
        check.Code($"{at}code", spec.Code).Text($"{at}name", spec.Name, required: true).Text($"{at}description", spec.Description, false, 1000)
            .Text($"{at}unit", spec.Unit, false, 50);
        if (spec.Type is null) check.Add($"{at}type", "is required: one of boolean, limit, quota.");
        if (spec.Type == FeatureType.Quota)
        {
            if (spec.ResetPeriod is null) check.Add($"{at}reset_period", "is required for a quota: one of day, week, month, year.");
            if (spec.Metric is not null && !metricExists(spec.Metric)) check.Add($"{at}metric", $"no metric '{spec.Metric}' exists.");
        }
        else
        {
            if (spec.ResetPeriod is not null) check.Add($"{at}reset_period", "only quotas reset.");
            if (spec.Metric is not null) check.Add($"{at}metric", "only quotas count a metric.");
        }

        return check;
    }

    public static FeatureSpec Normalize(FeatureSpec spec) => spec with { Name = spec.Name?.Trim() };

    /// <summary>Checks a plan version against the features and metrics that exist, and returns its normal form.</summary>
    public static Result<PlanVersionSpec> CheckVersion(
        PlanVersionSpec spec, IReadOnlyDictionary<string, FeatureType> features, IReadOnlySet<string> metrics, string at = "")
    {
        var check = new Validation();
        CheckVersion(spec, features, metrics, check, at);
        return check.Failed ? check.ToError() : Normalize(spec, features);
    }

    public static void CheckVersion(
        PlanVersionSpec spec, IReadOnlyDictionary<string, FeatureType> features, IReadOnlySet<string> metrics, Validation check, string at = "")
    {
        if (spec.TrialDays is { } trial) check.Range($"{at}trial_days", trial, 0, MaxTrialDays);

        var prices = spec.Prices ?? [];
        for (var i = 0; i < prices.Count; i++)
        {
            var p = prices[i];
            var field = $"{at}prices[{i}]";
            if (p.Interval is null) check.Add($"{field}.interval", "is required: month or year.");
            Currency(check, $"{field}.currency", p.Currency);
            if (p.Amount is null) check.Add($"{field}.amount", "is required, in minor units (2900 for 29.00).");
            else check.Range($"{field}.amount", p.Amount.Value, 0, MaxAmount);
            if (p.MinimumAmount is { } minimum) check.Range($"{field}.minimum_amount", minimum, 0, MaxAmount);
            if (prices.Take(i).Any(o => o.Interval == p.Interval && Same(o.Currency, p.Currency)))
            {
                check.Add(field, "repeats an interval and currency of an earlier price.");
            }
        }

        var entitlements = spec.Entitlements ?? [];
        for (var i = 0; i < entitlements.Count; i++)
        {
            var e = entitlements[i];
            var field = $"{at}entitlements[{i}]";
            if (e.Feature is null || !features.TryGetValue(e.Feature, out var type))
            {
                check.Add($"{field}.feature", e.Feature is null ? "is required." : $"no feature '{e.Feature}' exists.");
                continue;
            }

            if (entitlements.Take(i).Any(o => o.Feature == e.Feature)) check.Add($"{field}.feature", "appears twice.");
            if (type == FeatureType.Boolean)
            {
                if (e.Limit is not null || e.Unlimited is not null) check.Add(field, $"'{e.Feature}' is on or off: give 'enabled', not a limit.");
                if (e.Enforcement is not null) check.Add($"{field}.enforcement", "applies only to limits and quotas.");
            }
            else if (e.Unlimited == true)
            {
                if (e.Limit is not null) check.Add(field, "give either 'limit' or 'unlimited', not both.");
            }
            else if (e.Limit is null)
            {
                check.Add($"{field}.limit", $"is required for '{e.Feature}' (or set 'unlimited': true).");
            }
            else
            {
                check.Range($"{field}.limit", e.Limit.Value, 0, long.MaxValue / 2);
            }
        }

        var charges = spec.Charges ?? [];
        for (var i = 0; i < charges.Count; i++)
        {
            var c = charges[i];
            var field = $"{at}charges[{i}]";
            if (c.Metric is null || !metrics.Contains(c.Metric)) check.Add($"{field}.metric", c.Metric is null ? "is required." : $"no metric '{c.Metric}' exists.");
            Currency(check, $"{field}.currency", c.Currency);
            if (c.Model is null) check.Add($"{field}.model", "is required: per_unit, graduated, volume, package or percentage.");
            else ChargeRules.Check(c.Model.Value, c.Properties ?? new ChargeProperties(), check, $"{field}.properties");
            if (charges.Take(i).Any(o => o.Metric == c.Metric && Same(o.Currency, c.Currency)))
            {
                check.Add(field, "repeats a metric and currency of an earlier charge.");
            }
        }
    }

    public static PlanVersionSpec Normalize(PlanVersionSpec spec, IReadOnlyDictionary<string, FeatureType> features) => new(
        spec.TrialDays ?? 0,
        (spec.Prices ?? []).Select(p => p with { Currency = Currencies.Normalize(p.Currency) })
            .OrderBy(p => p.Interval).ThenBy(p => p.Currency, StringComparer.Ordinal).ToList(),
        (spec.Entitlements ?? []).Select(e => Normalize(e, features[e.Feature!]))
            .OrderBy(e => e.Feature, StringComparer.Ordinal).ToList(),
        (spec.Charges ?? []).Select(c => c with { Currency = Currencies.Normalize(c.Currency), Properties = c.Properties ?? new ChargeProperties() })
            .OrderBy(c => c.Metric, StringComparer.Ordinal).ThenBy(c => c.Currency, StringComparer.Ordinal).ToList());

    static EntitlementSpec Normalize(EntitlementSpec e, FeatureType type) => type == FeatureType.Boolean
        ? new(e.Feature, e.Enabled ?? true)
        : new(e.Feature, e.Enabled ?? true, e.Unlimited == true ? null : e.Limit, e.Unlimited == true, e.Enforcement ?? Enforcement.Hard);

    /// <summary>Whether two versions grant and charge the same (after normalising both).</summary>
    public static bool SameContent(PlanVersionSpec a, PlanVersionSpec b, IReadOnlyDictionary<string, FeatureType> features) =>
        ApiJson.Serialize(Normalize(a, features)) == ApiJson.Serialize(Normalize(b, features));

    static void Currency(Validation check, string field, string? currency)
    {
        if (currency is null) check.Add(field, "is required: an ISO 4217 code such as USD, EUR or INR.");
        else if (Currencies.Normalize(currency) is null) check.Add(field, $"'{currency}' is not an ISO 4217 currency code.");
    }

    static bool Same(string? a, string? b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    static string Name(Aggregation aggregation) => aggregation switch
    {
        Aggregation.UniqueCount => "unique_count",
        _ => aggregation.ToString().ToLowerInvariant(),
    };
}
