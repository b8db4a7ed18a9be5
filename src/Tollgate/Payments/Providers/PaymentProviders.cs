using Microsoft.Extensions.Options;
using Tollgate.Payments.Routing;

namespace Tollgate.Payments.Providers;

/// <summary>The providers this server speaks to: those configured (an API key set), and the one that serves a customer.</summary>
public sealed class PaymentProviders(IEnumerable<IPaymentProvider> all, Credentials.PaymentSettings settings)
{
    readonly Dictionary<PaymentProviderName, IPaymentProvider> _byName = all.ToDictionary(p => p.Name);

    public IReadOnlySet<PaymentProviderName> Configured
    {
        get
        {
            var o = settings.Current;
            var configured = Enum.GetValues<PaymentProviderName>().Where(o.Configures).ToHashSet();
            configured.IntersectWith(_byName.Keys);
            return configured;
        }
    }

    /// <summary>The provider, when it is configured.</summary>
    public IPaymentProvider? Find(PaymentProviderName name) => Configured.Contains(name) ? _byName[name] : null;

    public PaymentProviderName? Route(string? country, string currency, PaymentProviderName? chosenForCustomer) =>
        PaymentRouting.Choose(settings.Current.Rules(), Configured, country, currency, chosenForCustomer);
}
