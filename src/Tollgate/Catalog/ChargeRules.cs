using Tollgate.Common;

namespace Tollgate.Catalog;

/// <summary>Which parameters each charge model needs, and their bounds.</summary>
public static class ChargeRules
{
    public static void Check(ChargeModel model, ChargeProperties p, Validation check, string at)
    {
        Amount(check, $"{at}.unit_amount", p.UnitAmount);
        Amount(check, $"{at}.fixed_amount", p.FixedAmount);
        if (p.MinimumAmount is { } minimum) check.Range($"{at}.minimum_amount", minimum, 0, CatalogRules.MaxAmount);
        if (p.FreeUnits is { } free) check.Range($"{at}.free_units", free, 0, long.MaxValue / 2);

        switch (model)
        {
            case ChargeModel.PerUnit:
                if (p.UnitAmount is null) check.Add($"{at}.unit_amount", "is required for per_unit.");
                break;
            case ChargeModel.Graduated or ChargeModel.Volume:
                Tiers(check, $"{at}.tiers", p.Tiers);
                break;
            case ChargeModel.Package:
                if (p.PackageSize is not { } size) check.Add($"{at}.package_size", "is required for package.");
                else check.Range($"{at}.package_size", size, 1, long.MaxValue / 2);
                if (p.PackageAmount is not { } amount) check.Add($"{at}.package_amount", "is required for package.");
                else check.Range($"{at}.package_amount", amount, 0, CatalogRules.MaxAmount);
                break;
            case ChargeModel.Percentage:
                if (p.Rate is not { } rate) check.Add($"{at}.rate", "is required for percentage: a percent from 0 to 100.");
                else if (rate is < 0 or > 100) check.Add($"{at}.rate", "must be a percent from 0 to 100.");
                break;
        }
    }

    static void Tiers(Validation check, string at, IReadOnlyList<Tier>? tiers)
    {
        if (tiers is not { Count: > 0 })
        {
            check.Add(at, "are required: at least one tier, the last with no 'up_to'.");
            return;
        }

        long previous = 0;
        for (var i = 0; i < tiers.Count; i++)
        {
            var tier = tiers[i];
            var last = i == tiers.Count - 1;
            if (tier.UpTo is null && !last) check.Add($"{at}[{i}].up_to", "may be empty only on the last tier.");
            if (tier.UpTo is not null && last) check.Add($"{at}[{i}].up_to", "must be empty on the last tier, so every quantity has a price.");
            if (tier.UpTo is { } upTo)
            {
                if (upTo <= previous) check.Add($"{at}[{i}].up_to", "must be greater than the tier before.");
                previous = upTo;
            }

            if (tier.UnitAmount is null && tier.FlatAmount is null) check.Add($"{at}[{i}]", "needs a unit_amount, a flat_amount or both.");
            Amount(check, $"{at}[{i}].unit_amount", tier.UnitAmount);
            if (tier.FlatAmount is { } flat) check.Range($"{at}[{i}].flat_amount", flat, 0, CatalogRules.MaxAmount);
        }
    }

    static void Amount(Validation check, string field, decimal? amount)
    {
        if (amount is { } a && (a < 0 || a > CatalogRules.MaxAmount)) check.Add(field, $"must be between 0 and {CatalogRules.MaxAmount}.");
    }
}
