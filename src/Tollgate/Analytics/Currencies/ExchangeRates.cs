using System.Globalization;
using Dapper;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Analytics.Currencies;

/// <summary>What one unit of <see cref="Currency"/> is worth in the reporting currency, from <see cref="ValidFrom"/> on.</summary>
public sealed record ExchangeRate(string Currency, decimal Rate, DateTimeOffset ValidFrom);

/// <summary><c>POST /api/v1/analytics/exchange-rates</c>.</summary>
public sealed record SetExchangeRateRequest(
    [property: System.ComponentModel.DataAnnotations.Required] string? Currency,
    [property: System.ComponentModel.DataAnnotations.Required] decimal? Rate,
    [property: System.ComponentModel.DataAnnotations.Required] DateTimeOffset? ValidFrom);

/// <summary>
/// The operator's dated exchange rates into the reporting currency (<see cref="AnalyticsOptions.ReportingCurrency"/>):
/// a rate holds from its date until the next one of its currency. Conversion rounds once, to a whole minor unit of
/// the reporting currency, half away from zero (<see cref="Billing.MinorUnits"/>), whatever the two currencies' exponents.
/// </summary>
public sealed class ExchangeRates(Database database, TimeProvider time)
{
    public async Task<Result<ExchangeRate>> SetAsync(SetExchangeRateRequest request, string reporting, CancellationToken ct)
    {
        var currency = Tollgate.Common.Currencies.Normalize(request.Currency);
        if (currency is null) return ApiError.Invalid("currency", "must be an ISO 4217 code Tollgate knows.");
        if (currency == reporting) return ApiError.Invalid("currency", $"{reporting} is the reporting currency: its rate is 1.");
        if (request.Rate is not (> 0m and < 1_000_000_000m)) return ApiError.Invalid("rate", "must be more than 0: what one unit of the currency is worth in the reporting currency.");
        var rate = new ExchangeRate(currency, request.Rate!.Value, request.ValidFrom!.Value.ToUniversalTime());
        await database.InTransactionAsync(async (connection, tx) =>
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO exchange_rates (currency, valid_from, rate, created_at) VALUES (@Currency, @ValidFrom, @rate, @now)
                ON CONFLICT (currency, valid_from) DO UPDATE SET rate = excluded.rate, created_at = excluded.created_at
                """, new { rate.Currency, rate.ValidFrom, rate = rate.Rate.ToString(CultureInfo.InvariantCulture), now = time.GetUtcNow() }, tx);
            return 0;
        }, ct);
        return rate;
    }

    public async Task<IReadOnlyList<ExchangeRate>> ListAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<(string Currency, DateTimeOffset ValidFrom, string Rate)>("SELECT currency, valid_from, rate FROM exchange_rates ORDER BY currency, valid_from");
        return [.. rows.Select(r => new ExchangeRate(r.Currency, decimal.Parse(r.Rate, CultureInfo.InvariantCulture), r.ValidFrom))];
    }

    /// <summary>The rate of <paramref name="currency"/> in force at <paramref name="at"/> among <paramref name="rates"/>; null when none is yet.</summary>
    public static decimal? At(IReadOnlyList<ExchangeRate> rates, string currency, DateTimeOffset at) =>
        rates.Where(r => r.Currency == currency && r.ValidFrom <= at).OrderBy(r => r.ValidFrom).LastOrDefault()?.Rate;

    /// <summary>
    /// <paramref name="minor"/> units of <paramref name="currency"/> in minor units of <paramref name="reporting"/> at the
    /// rate in force at <paramref name="at"/>; a 400 naming the currency and the date when there is none.
    /// </summary>
    public static Result<long> InReporting(IReadOnlyList<ExchangeRate> rates, long minor, string currency, string reporting, DateTimeOffset at)
    {
        var rate = RateInto(rates, currency, reporting, at);
        return rate.IsOk ? Convert(minor, currency, reporting, rate.Value) : rate.Error;
    }

    /// <summary>The rate of <paramref name="currency"/> into <paramref name="reporting"/> at <paramref name="at"/> (1 for itself); a 400 naming both and the date when there is none.</summary>
    public static Result<decimal> RateInto(IReadOnlyList<ExchangeRate> rates, string currency, string reporting, DateTimeOffset at) =>
        currency == reporting ? 1m
        : At(rates, currency, at) is { } rate ? rate
        : ApiError.Invalid("currency", $"there is no exchange rate for {currency} into {reporting} at {at:yyyy-MM-dd'T'HH:mm:ss'Z'}: POST /api/v1/analytics/exchange-rates.");

    /// <summary><paramref name="minor"/> units of <paramref name="from"/> in minor units of <paramref name="to"/>, at <paramref name="rate"/>: the one rounding.</summary>
    public static long Convert(long minor, string from, string to, decimal rate) =>
        Billing.MinorUnits.Round(minor * rate * Pow10(Tollgate.Common.Currencies.MinorUnits(to)) / Pow10(Tollgate.Common.Currencies.MinorUnits(from)));

    static decimal Pow10(int digits) => digits switch { 0 => 1m, 1 => 10m, 2 => 100m, 3 => 1000m, _ => (decimal)Math.Pow(10, digits) };
}
