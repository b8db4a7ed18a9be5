using Tollgate.Payments.Providers;

namespace Tollgate.Payments.Routing;

/// <summary>
/// One routing rule: customers of <see cref="Country"/> (ISO 3166-1 alpha-2), or paying in <see cref="Currency"/> (ISO
/// 4217), or both when both are set, or everyone when neither is, are served by <see cref="Provider"/>.
/// </summary>
public sealed record RoutingRule(PaymentProviderName Provider, string? Country = null, string? Currency = null)
{
    public bool Matches(string? country, string currency) =>
        (Country is null || string.Equals(Country, country, StringComparison.OrdinalIgnoreCase))
        && (Currency is null || string.Equals(Currency, currency, StringComparison.OrdinalIgnoreCase));
}
