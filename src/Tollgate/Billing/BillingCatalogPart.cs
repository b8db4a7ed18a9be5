using System.Data.Common;
using Tollgate.Billing.Coupons;
using Tollgate.Billing.Taxes;
using Tollgate.Catalog;
using Tollgate.Common;

namespace Tollgate.Billing;

/// <summary>
/// Billing's part of a catalog file: its <c>coupons</c> (created when new, left alone when the same, refused when their
/// terms changed) and its <c>tax_rates</c> (created, left alone, or replaced: the rate in force archived), applied in the
/// catalog's transaction; and the coupons and rates in force written into the catalog's export.
/// </summary>
public sealed class BillingCatalogPart(CouponStore coupons, TaxRateStore taxRates) : ICatalogPart
{
    public async Task<Result<IReadOnlyList<CatalogChange>>> ApplyInAsync(DbTransaction tx, CatalogDocument document, Actor actor)
    {
        var applied = new List<CatalogChange>();
        foreach (var (spec, i) in (document.Coupons ?? []).Select((s, i) => (s, i)))
        {
            var result = await coupons.ApplyInAsync(tx, spec, actor, $"coupons[{i}].");
            if (!result.IsOk) return result.Error;
            applied.Add(new("coupon", spec.Code!, result.Value));
        }

        foreach (var (spec, i) in (document.TaxRates ?? []).Select((s, i) => (s, i)))
        {
            var result = await taxRates.ApplyInAsync(tx, spec, actor, $"tax_rates[{i}].");
            if (!result.IsOk) return result.Error;
            applied.Add(new("tax_rate", $"{spec.Code!.Trim()}:{Countries.Normalize(spec.Country)}{(string.IsNullOrWhiteSpace(spec.Region) ? "" : "-" + spec.Region.Trim().ToUpperInvariant())}", result.Value));
        }

        return applied;
    }

    public async Task<CatalogDocument> ExportAsync(CatalogDocument document, CancellationToken ct)
    {
        var held = (await coupons.ListAsync(ct)).Where(c => c.ArchivedAt is null)
            .Select(c => new CouponSpec(c.Code, c.PercentOff, c.AmountOff, c.Currency, c.Duration, c.DurationInMonths, c.MaxRedemptions, c.RedeemBy))
            .OrderBy(c => c.Code, StringComparer.Ordinal).ToList();
        var rates = (await taxRates.ListAsync(ct)).Select(r => new TaxRateSpec(r.Code, r.Country, r.Region, r.Percentage, r.Inclusive)).ToList();
        return document with { Coupons = held, TaxRates = rates };
    }
}
