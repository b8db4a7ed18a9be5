using System.Collections.Frozen;

namespace Tollgate.Common;

/// <summary>ISO 4217 currencies in use, with the number of minor units each one has.</summary>
public static class Currencies
{
    const string ZeroDecimal = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF";
    const string ThreeDecimal = "BHD IQD JOD KWD LYD OMR TND";
    const string FourDecimal = "CLF UYW";
    const string TwoDecimal =
        "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CNY " +
        "COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS " +
        "INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR " +
        "MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD " +
        "SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWG";

    static readonly FrozenDictionary<string, int> MinorUnitsByCode = Build();

    static FrozenDictionary<string, int> Build()
    {
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        void Add(string codes, int digits)
        {
            foreach (var code in codes.Split(' ', StringSplitOptions.RemoveEmptyEntries)) map[code] = digits;
        }

        Add(ZeroDecimal, 0);
        Add(TwoDecimal, 2);
        Add(ThreeDecimal, 3);
        Add(FourDecimal, 4);
        return map.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The canonical upper-case code, or null when <paramref name="code"/> is not an ISO 4217 currency.</summary>
    public static string? Normalize(string? code)
    {
        if (code is null || code.Length != 3) return null;
        var upper = code.ToUpperInvariant();
        return MinorUnitsByCode.ContainsKey(upper) ? upper : null;
    }

    public static int MinorUnits(string code) => MinorUnitsByCode[code];

    const string Eurozone = "AT BE CY DE EE ES FI FR GR HR IE IT LT LU LV MT NL PT SI SK";

    /// <summary>The currency a customer in <paramref name="country"/> most likely pays in; USD when unknown.</summary>
    public static string DefaultFor(string? country) => country switch
    {
        null => "USD",
        "IN" => "INR",
        "GB" => "GBP",
        "CA" => "CAD",
        "AU" => "AUD",
        "JP" => "JPY",
        "CH" => "CHF",
        "BR" => "BRL",
        "SG" => "SGD",
        _ when Eurozone.Contains(country, StringComparison.Ordinal) && country.Length == 2 => "EUR",
        _ => "USD",
    };
}
