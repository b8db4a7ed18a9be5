using Tollgate.Common;

namespace Tollgate.Catalog;

/// <summary>Which parameters each charge model needs or accepts, and their bounds (docs/catalog.md, "Charges").</summary>
public static class ChargeRules
{
    public static void Check(ChargeModel model, ChargeProperties p, Validation check, string at)
    {
        Amount(check, $"{at}.unit_amount", p.UnitAmount);
        Amount(check, $"{at}.fixed_amount", p.FixedAmount);
        if (p.MinimumAmount is { } minimum) check.Range($"{at}.minimum_amount", minimum, 0, CatalogRules.MaxAmount);
        if (p.FreeUnits is { } free) check.Range($"{at}.free_units", free, 0, long.MaxValue / 2);
        OnlyFor(check, at, model, "unit_amount", p.UnitAmount is not null, ChargeModel.PerUnit);
        OnlyFor(check, at, model, "tiers", p.Tiers is not null, ChargeModel.Graduated, ChargeModel.Volume, ChargeModel.GraduatedPercentage);
        OnlyFor(check, at, model, "package_size", p.PackageSize is not null, ChargeModel.Package);
        OnlyFor(check, at, model, "package_amount", p.PackageAmount is not null, ChargeModel.Package);
        OnlyFor(check, at, model, "rate", p.Rate is not null, ChargeModel.Percentage);
        OnlyFor(check, at, model, "per_event_fee", p.PerEventFee is not null, ChargeModel.Percentage);
        OnlyFor(check, at, model, "free_events", p.FreeEvents is not null, ChargeModel.Percentage);
        OnlyFor(check, at, model, "per_event_minimum", p.PerEventMinimum is not null, ChargeModel.Percentage);
        OnlyFor(check, at, model, "per_event_maximum", p.PerEventMaximum is not null, ChargeModel.Percentage);
        OnlyFor(check, at, model, "free_units", p.FreeUnits is not null,
            ChargeModel.PerUnit, ChargeModel.Graduated, ChargeModel.Volume, ChargeModel.Package, ChargeModel.Percentage, ChargeModel.GraduatedPercentage);

        switch (model)
        {
            case ChargeModel.Flat:
                if (p.FixedAmount is null) check.Add($"{at}.fixed_amount", "is required for flat: the amount charged every period.");
                break;
            case ChargeModel.PerUnit:
                if (p.UnitAmount is null) check.Add($"{at}.unit_amount", "is required for per_unit.");
                break;
            case ChargeModel.Graduated or ChargeModel.Volume or ChargeModel.GraduatedPercentage:
                Tiers(check, $"{at}.tiers", p.Tiers, percent: model == ChargeModel.GraduatedPercentage);
                break;
            case ChargeModel.Package:
                if (p.PackageSize is not { } size) check.Add($"{at}.package_size", "is required for package.");
                else check.Range($"{at}.package_size", size, 1, long.MaxValue / 2);
                if (p.PackageAmount is not { } amount) check.Add($"{at}.package_amount", "is required for package.");
                else check.Range($"{at}.package_amount", amount, 0, CatalogRules.MaxAmount);
                break;
            case ChargeModel.Percentage:
                Rate(check, $"{at}.rate", p.Rate, required: true);
                Amount(check, $"{at}.per_event_fee", p.PerEventFee);
                Amount(check, $"{at}.per_event_minimum", p.PerEventMinimum);
                Amount(check, $"{at}.per_event_maximum", p.PerEventMaximum);
                if (p.FreeEvents is { } freeEvents) check.Range($"{at}.free_events", freeEvents, 0, long.MaxValue / 2);
                if (p.PerEventMinimum > p.PerEventMaximum) check.Add($"{at}.per_event_minimum", "must not exceed per_event_maximum.");
                break;
        }
    }

    static void OnlyFor(Validation check, string at, ChargeModel model, string property, bool present, params ChargeModel[] models)
    {
        if (present && !models.Contains(model)) check.Add($"{at}.{property}", $"has no meaning for the {EnumText.Snake(model)} model.");
    }

    static void Tiers(Validation check, string at, IReadOnlyList<Tier>? tiers, bool percent)
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

            if (percent)
            {
                Rate(check, $"{at}[{i}].rate", tier.Rate, required: true);
                if (tier.UnitAmount is not null) check.Add($"{at}[{i}].unit_amount", "has no meaning for graduated_percentage: each tier has a rate.");
            }
            else
            {
                if (tier.Rate is not null) check.Add($"{at}[{i}].rate", "belongs to graduated_percentage tiers only.");
                if (tier.UnitAmount is null && tier.FlatAmount is null) check.Add($"{at}[{i}]", "needs a unit_amount, a flat_amount or both.");
            }

            Amount(check, $"{at}[{i}].unit_amount", tier.UnitAmount);
            if (tier.FlatAmount is { } flat) check.Range($"{at}[{i}].flat_amount", flat, 0, CatalogRules.MaxAmount);
        }
    }

    static void Rate(Validation check, string field, decimal? rate, bool required)
    {
        if (rate is null)
        {
            if (required) check.Add(field, "is required: a percent from 0 to 100.");
        }
        else if (rate is < 0 or > 100)
        {
            check.Add(field, "must be a percent from 0 to 100.");
        }
    }

    static void Amount(Validation check, string field, decimal? amount)
    {
        if (amount is { } a && (a < 0 || a > CatalogRules.MaxAmount)) check.Add(field, $"must be between 0 and {CatalogRules.MaxAmount}.");
    }
}
