using System.Globalization;

namespace Tollgate.Common;

/// <summary>
/// Amounts in minor units written for people: <c>USD 1,234.56</c>, <c>JPY 1,235</c>, <c>KWD 1.234</c>. Display only;
/// nothing is rounded here that was not rounded where it was computed.
/// </summary>
public static class Money
{
    /// <summary>An amount of whole minor units, with the currency's own number of decimals.</summary>
    public static string Format(long minor, string currency)
    {
        var digits = Currencies.MinorUnits(currency);
        var major = minor / Pow10(digits);
        return $"{currency} {major.ToString("#,0." + new string('0', digits), CultureInfo.InvariantCulture).TrimEnd('.')}";
    }

    /// <summary>A price per unit, which may hold fractions of a minor unit (0.5¢ a call): at least the currency's decimals, more when it has them.</summary>
    public static string FormatUnit(decimal minor, string currency)
    {
        var digits = Currencies.MinorUnits(currency);
        var major = minor / Pow10(digits);
        var format = "#,0." + new string('0', digits) + new string('#', 10);
        return $"{currency} {major.ToString(format, CultureInfo.InvariantCulture).TrimEnd('.')}";
    }

    static decimal Pow10(int digits) => digits switch { 0 => 1m, 2 => 100m, 3 => 1000m, 4 => 10_000m, _ => (decimal)Math.Pow(10, digits) };
}
