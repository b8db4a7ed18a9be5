using System.Globalization;
using Tollgate.Catalog;

namespace Tollgate.Billing.Rating;

/// <summary>
/// Rates a quantity of usage under a charge, as written in a catalog file: pure arithmetic on decimals of minor units,
/// each line rounded once (<see cref="MinorUnits"/>). Free units come off the quantity first; a tier's <c>up_to</c> is
/// inclusive (a tier up to 5 holds units 1 to 5); a tier's flat amount is charged once the quantity enters it; a
/// charge's <c>fixed_amount</c> is added every period and its <c>minimum_amount</c> trued up last. The caller has
/// validated the charge (<see cref="ChargeRules"/>); a result too large for a long throws <see cref="OverflowException"/>.
/// </summary>
public static class ChargeRater
{
    /// <summary>
    /// A charge's properties for usage over a <paramref name="share"/> of a period (a plan changed in the middle of it, a
    /// period cut short): its included amounts (free units and events, fixed amount, minimum commitment) cut to that
    /// share, units and minimums rounded down, so that a plan taken late in a period includes only what is left of it.
    /// Tiers stay as written. Unchanged for a share of 1 or more. The share is the caller's, counted as every proration
    /// is (<c>Periods.Proration.Share</c>, in whole seconds).
    /// </summary>
    public static ChargeProperties ForShare(ChargeProperties properties, decimal share)
    {
        if (share >= 1) return properties;
        share = Math.Max(0, share);
        static long? Floor(long? value, decimal share) => value is { } v ? (long)decimal.Floor(v * share) : null;
        return properties with
        {
            FreeUnits = Floor(properties.FreeUnits, share),
            FreeEvents = Floor(properties.FreeEvents, share),
            MinimumAmount = Floor(properties.MinimumAmount, share),
            FixedAmount = properties.FixedAmount * share,
        };
    }

    public static RatedCharge Rate(ChargeModel model, ChargeProperties properties, ChargeUsage usage)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(usage.Quantity);
        var lines = new List<RatedLine>();
        var charged = Math.Max(0m, usage.Quantity - (properties.FreeUnits ?? 0));
        switch (model)
        {
            case ChargeModel.PerUnit when charged > 0:
                var unit = properties.UnitAmount ?? 0;
                lines.Add(new RatedLine(LineKind.Units, $"{Units(charged)} at {Number(unit)} each", charged, MinorUnits.Round(charged * unit)) { UnitAmount = unit });
                break;
            case ChargeModel.Graduated:
                Graduated(properties.Tiers ?? [], charged, lines, percent: false);
                break;
            case ChargeModel.GraduatedPercentage:
                Graduated(properties.Tiers ?? [], charged, lines, percent: true);
                break;
            case ChargeModel.Volume when charged > 0:
                Volume(properties.Tiers ?? [], charged, lines);
                break;
            case ChargeModel.Package when charged > 0:
                var size = properties.PackageSize ?? 1;
                var packages = decimal.Ceiling(charged / size);
                var price = properties.PackageAmount ?? 0;
                lines.Add(new RatedLine(LineKind.Packages, $"{Units(packages, "package")} of {Number(size)} at {Number(price)}", packages, MinorUnits.Round(packages * price))
                    { UnitAmount = price });
                break;
            case ChargeModel.Percentage:
                Percentage(properties, usage, lines);
                break;
        }

        if (properties.FixedAmount is > 0 and var fixedAmount)
        {
            lines.Add(new RatedLine(LineKind.Fixed, "Fixed amount for the period", 1, MinorUnits.Round(fixedAmount)) { UnitAmount = fixedAmount });
        }

        var total = lines.Sum(l => l.Amount);
        if (properties.MinimumAmount is { } minimum && total < minimum)
        {
            lines.Add(new RatedLine(LineKind.Minimum, $"Minimum commitment of {Number(minimum)}", 1, minimum - total) { UnitAmount = minimum });
        }

        return new RatedCharge(lines);
    }

    /// <summary>Each tier's share of the quantity at its price (or rate), plus its flat amount once entered.</summary>
    static void Graduated(IReadOnlyList<Tier> tiers, decimal quantity, List<RatedLine> lines, bool percent)
    {
        decimal from = 0;
        foreach (var tier in tiers)
        {
            if (quantity <= from) break;
            var to = tier.UpTo is { } upTo ? Math.Min(quantity, upTo) : quantity;
            var share = to - from;
            var flat = tier.FlatAmount ?? 0;
            var bounds = tier.UpTo is { } end ? $"{Number(from + 1)} to {Number(end)}" : $"above {Number(from)}";
            if (percent)
            {
                var rate = tier.Rate ?? 0;
                lines.Add(new RatedLine(LineKind.Tier, $"{Number(share)} at {Number(rate)}% ({bounds})", share, MinorUnits.Round(share * rate / 100 + flat))
                    { Rate = rate, FlatAmount = tier.FlatAmount, From = from, UpTo = tier.UpTo });
            }
            else
            {
                var unit = tier.UnitAmount ?? 0;
                lines.Add(new RatedLine(LineKind.Tier, $"{Units(share)} at {Number(unit)} each (units {bounds})", share, MinorUnits.Round(share * unit + flat))
                    { UnitAmount = unit, FlatAmount = tier.FlatAmount, From = from, UpTo = tier.UpTo });
            }

            if (tier.UpTo is null) break;
            from = tier.UpTo.Value;
        }
    }

    /// <summary>Every unit at the price of the tier the whole quantity falls in.</summary>
    static void Volume(IReadOnlyList<Tier> tiers, decimal quantity, List<RatedLine> lines)
    {
        decimal from = 0;
        foreach (var tier in tiers)
        {
            if (tier.UpTo is { } upTo && quantity > upTo)
            {
                from = upTo;
                continue;
            }

            var unit = tier.UnitAmount ?? 0;
            var bounds = tier.UpTo is { } end ? $"{Number(from + 1)} to {Number(end)}" : $"above {Number(from)}";
            lines.Add(new RatedLine(LineKind.Tier, $"{Units(quantity)} at {Number(unit)} each (the tier of {bounds})", quantity, MinorUnits.Round(quantity * unit + (tier.FlatAmount ?? 0)))
                { UnitAmount = unit, FlatAmount = tier.FlatAmount, From = from, UpTo = tier.UpTo });
            return;
        }
    }

    /// <summary>
    /// A percent of the quantity (itself an amount in minor units, such as a payment's value) and a fee per event. Free
    /// units are an amount free of the rate and free events are events free of both, each taken from the earliest
    /// events. With a per-event minimum or maximum every event is charged on its own: its rate and fee, within bounds.
    /// </summary>
    static void Percentage(ChargeProperties p, ChargeUsage usage, List<RatedLine> lines)
    {
        var rate = p.Rate ?? 0;
        var fee = p.PerEventFee ?? 0;
        if (p.PerEventMinimum is not null || p.PerEventMaximum is not null)
        {
            var values = usage.EventValues ?? (usage.Quantity > 0 ? [usage.Quantity] : []);
            var (freeAmount, freeEvents) = ((decimal)(p.FreeUnits ?? 0), p.FreeEvents ?? 0);
            var (sum, events, value) = (0m, 0L, 0m);
            foreach (var eventValue in values)
            {
                if (freeEvents > 0)
                {
                    freeEvents--;
                    continue;
                }

                var free = Math.Min(freeAmount, eventValue);
                freeAmount -= free;
                var charge = (eventValue - free) * rate / 100 + fee;
                if (p.PerEventMinimum is { } least) charge = Math.Max(charge, least);
                if (p.PerEventMaximum is { } most) charge = Math.Min(charge, most);
                sum += charge;
                value += eventValue - free;
                events++;
            }

            if (events > 0)
            {
                lines.Add(new RatedLine(LineKind.Events, $"{Units(events, "event")} of {Number(value)} in all at {Number(rate)}%{FeeText(fee)}, each within its bounds", events, MinorUnits.Round(sum))
                    { Rate = rate, UnitAmount = fee });
            }

            return;
        }

        var charged = Math.Max(0m, usage.Quantity - (p.FreeUnits ?? 0));
        if (charged > 0 && rate > 0)
        {
            lines.Add(new RatedLine(LineKind.Rate, $"{Number(rate)}% of {Number(charged)}", charged, MinorUnits.Round(charged * rate / 100)) { Rate = rate });
        }

        var feeEvents = Math.Max(0, usage.Events - (p.FreeEvents ?? 0));
        if (feeEvents > 0 && fee > 0)
        {
            lines.Add(new RatedLine(LineKind.EventFees, $"{Units(feeEvents, "event")} at {Number(fee)} each", feeEvents, MinorUnits.Round(feeEvents * fee)) { UnitAmount = fee });
        }
    }

    static string FeeText(decimal fee) => fee > 0 ? $" plus {Number(fee)} each" : "";

    static string Units(decimal count, string noun = "unit") => $"{Number(count)} {noun}{(count == 1 ? "" : "s")}";

    static string Number(decimal value) => value.ToString("#,0.############", CultureInfo.InvariantCulture);
}
