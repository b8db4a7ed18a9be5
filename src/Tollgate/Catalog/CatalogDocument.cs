using System.Text.Json.Serialization;

namespace Tollgate.Catalog;

/// <summary>A whole catalog as code: the file <c>catalog apply</c> reads and <c>GET /api/v1/catalog</c> writes.</summary>
public sealed record CatalogDocument(
    List<MetricSpec>? Metrics = null,
    List<FeatureSpec>? Features = null,
    List<CatalogPlan>? Plans = null,
    List<CouponSpec>? Coupons = null,
    List<TaxRateSpec>? TaxRates = null)
{
    /// <summary>Lets editors find a JSON schema; ignored by Tollgate.</summary>
    [JsonPropertyName("$schema")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Schema { get; init; }
}

/// <summary>A plan and the content of its current version, side by side as a person writes them.</summary>
public sealed record CatalogPlan(
    string? Code,
    string? Name,
    string? Description = null,
    int? TrialDays = null,
    List<PriceSpec>? Prices = null,
    List<EntitlementSpec>? Entitlements = null,
    List<ChargeSpec>? Charges = null)
{
    public PlanVersionSpec ToVersionSpec() => new(TrialDays, Prices, Entitlements, Charges);
}

public sealed record CatalogChange(string Kind, string Code, Change Change, int? Version = null);

public sealed record CatalogApplyResult(bool DryRun, IReadOnlyList<CatalogChange> Changes);
