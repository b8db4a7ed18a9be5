using System.ComponentModel.DataAnnotations;
using System.Data.Common;
using Tollgate.Common;

namespace Tollgate.Catalog;

public enum CouponDuration
{
    /// <summary>The first invoice only.</summary>
    Once,

    /// <summary>Every invoice made within <c>duration_in_months</c> of the redemption.</summary>
    Repeating,

    /// <summary>Every invoice.</summary>
    Forever,
}

/// <summary>
/// A coupon as written in a catalog file or sent to <c>POST /api/v1/coupons</c>: a percent off, or an amount off in one
/// currency, before tax, once, for some months, or forever. Stored and redeemed by billing.
/// </summary>
public sealed record CouponSpec(
    [property: Required] string? Code,
    decimal? PercentOff = null,
    long? AmountOff = null,
    string? Currency = null,
    [property: Required] CouponDuration? Duration = null,
    int? DurationInMonths = null,
    long? MaxRedemptions = null,
    DateTimeOffset? RedeemBy = null);

/// <summary>
/// A tax rate as written in a catalog file or sent to <c>POST /api/v1/tax-rates</c>: a rate for customers of a country,
/// and of one region of it when given. Stored and applied by billing.
/// </summary>
public sealed record TaxRateSpec(
    [property: Required] string? Code, [property: Required] string? Country, string? Region = null,
    [property: Required] decimal? Percentage = null, bool? Inclusive = null);

/// <summary>
/// A part of the catalog another feature keeps (billing keeps coupons and tax rates): applied in the transaction that
/// applies the rest of the document, after plans, and written into its export. Lets the catalog hold them without
/// depending on the features that use them.
/// </summary>
public interface ICatalogPart
{
    Task<Result<IReadOnlyList<CatalogChange>>> ApplyInAsync(DbTransaction tx, CatalogDocument document, Actor actor);

    Task<CatalogDocument> ExportAsync(CatalogDocument document, CancellationToken ct);
}
