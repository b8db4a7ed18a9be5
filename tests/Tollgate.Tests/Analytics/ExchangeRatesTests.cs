using Tollgate.Analytics.Currencies;

namespace Tollgate.Tests.Analytics;

public sealed class ExchangeRatesTests
{
    [Fact]
    public void Conversion_minds_each_currencys_minor_units_and_rounds_once()
    {
        ExchangeRates.Convert(1000, "JPY", "USD", 0.0067m).ShouldBe(670, "¥1,000 is $6.70");
        ExchangeRates.Convert(12345, "EUR", "USD", 1.085m).ShouldBe(13394, "€123.45 is $133.94325, rounded half away from zero");
        ExchangeRates.Convert(1000, "KWD", "USD", 3.25m).ShouldBe(325, "1 KWD (1,000 fils) is $3.25");
        ExchangeRates.Convert(250, "USD", "JPY", 150m).ShouldBe(375, "$2.50 is ¥375");
    }

    [Fact]
    public void A_rate_holds_from_its_date_until_the_next()
    {
        var jan = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        ExchangeRate[] rates = [new("EUR", 1.05m, jan), new("EUR", 1.10m, jan.AddMonths(2)), new("GBP", 1.25m, jan)];
        ExchangeRates.At(rates, "EUR", jan.AddDays(-1)).ShouldBeNull("none yet");
        ExchangeRates.At(rates, "EUR", jan).ShouldBe(1.05m);
        ExchangeRates.At(rates, "EUR", jan.AddMonths(2).AddTicks(-1)).ShouldBe(1.05m);
        ExchangeRates.At(rates, "EUR", jan.AddMonths(5)).ShouldBe(1.10m);
        ExchangeRates.At(rates, "GBP", jan.AddMonths(5)).ShouldBe(1.25m);
    }
}
