using System.ComponentModel.DataAnnotations;
using Tollgate.Catalog;
using Tollgate.Common;

namespace Tollgate.Billing.Rating;

/// <summary>A charge written exactly as in a catalog file's plan.</summary>
public sealed record QuotedCharge([property: Required] ChargeModel? Model, ChargeProperties? Properties = null);

/// <summary>
/// <c>POST /api/v1/pricing/quote</c>: prices a quantity under a charge, storing nothing. <paramref name="Events"/>, when
/// given, lists each event's value in order (for percentage charges with per-event fees or bounds); the quantity is then
/// their sum and may be left out. <paramref name="EventCount"/> counts events for per-event fees without their values.
/// </summary>
public sealed record QuoteRequest([property: Required] string? Currency, [property: Required] QuotedCharge? Charge, decimal? Quantity = null, IReadOnlyList<decimal>? Events = null, long? EventCount = null);

public sealed record QuoteLine(
    LineKind Kind, string Description, decimal Quantity, long Amount,
    decimal? UnitAmount, decimal? Rate, long? FlatAmount, decimal? From, long? UpTo);

/// <summary>The quote: <c>amount</c> is the sum of the lines, in minor units of <c>currency</c>.</summary>
public sealed record Quote(string Currency, long Amount, IReadOnlyList<QuoteLine> Lines);

public static class PriceQuote
{
    /// <summary>The largest quantity quoted: a thousand trillion, so every product of it stays exact in a decimal.</summary>
    public const decimal MaxQuantity = 1_000_000_000_000_000m;

    const int MaxEvents = 10_000;

    public static Result<Quote> For(QuoteRequest request)
    {
        var check = new Validation();
        var currency = Currencies.Normalize(request.Currency);
        if (currency is null) check.Add("currency", "is required: an ISO 4217 code such as USD, EUR or INR.");
        if (request.Charge?.Model is not { } model)
        {
            check.Add("charge.model", "is required: flat, per_unit, graduated, volume, package, percentage or graduated_percentage.");
            return check.ToError();
        }

        var properties = request.Charge.Properties ?? new ChargeProperties();
        ChargeRules.Check(model, properties, check, "charge.properties");
        var quantity = Quantity(request, check);
        if (request.EventCount is < 0) check.Add("event_count", "must not be negative.");
        if (check.Failed) return check.ToError();

        try
        {
            var events = request.EventCount ?? request.Events?.Count ?? (quantity > 0 ? 1 : 0);
            var rated = ChargeRater.Rate(model, properties, new ChargeUsage(quantity, events, request.Events));
            return new Quote(currency!, rated.Amount, [.. rated.Lines.Select(l => new QuoteLine(l.Kind, l.Description, l.Quantity, l.Amount, l.UnitAmount, l.Rate, l.FlatAmount, l.From, l.UpTo))]);
        }
        catch (OverflowException)
        {
            return new ApiError("amount_out_of_range", StatusCodes.Status400BadRequest, "The quoted amount is too large to bill.");
        }
    }

    static decimal Quantity(QuoteRequest request, Validation check)
    {
        if (request.Events is { } events)
        {
            if (events.Count > MaxEvents) check.Add("events", $"may list at most {MaxEvents:N0} events.");
            var sum = 0m;
            for (var i = 0; i < events.Count && i < MaxEvents; i++)
            {
                if (events[i] is < 0 or > MaxQuantity) check.Add($"events[{i}]", $"must be between 0 and {MaxQuantity:0}.");
                else sum += events[i];
            }

            if (request.Quantity is { } given && given != sum) check.Add("quantity", "must be the sum of the events, or left out.");
            if (request.EventCount is not null) check.Add("event_count", "is the number of events listed; leave it out when listing them.");
            if (sum > MaxQuantity) check.Add("events", $"must sum to at most {MaxQuantity:0}.");
            return sum;
        }

        if (request.Quantity is not { } quantity)
        {
            check.Add("quantity", "is required (or list the events).");
            return 0;
        }

        if (quantity is < 0 or > MaxQuantity) check.Add("quantity", $"must be between 0 and {MaxQuantity:0}.");
        return quantity;
    }
}
