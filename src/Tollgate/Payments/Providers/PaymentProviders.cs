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
            var configured = new HashSet<PaymentProviderName>();
            if (!string.IsNullOrEmpty(o.Stripe.SecretKey)) configured.Add(PaymentProviderName.Stripe);
            if (!string.IsNullOrEmpty(o.Razorpay.KeyId)) configured.Add(PaymentProviderName.Razorpay);
            if (!string.IsNullOrEmpty(o.Paddle.ApiKey)) configured.Add(PaymentProviderName.Paddle);
            if (!string.IsNullOrEmpty(o.LemonSqueezy.ApiKey)) configured.Add(PaymentProviderName.LemonSqueezy);
            if (o.TestProvider) configured.Add(PaymentProviderName.Test);
            configured.IntersectWith(_byName.Keys);
            return configured;
        }
    }

    /// <summary>The provider, when it is configured.</summary>
    public IPaymentProvider? Find(PaymentProviderName name) => Configured.Contains(name) ? _byName[name] : null;

    public PaymentProviderName? Route(string? country, string currency, PaymentProviderName? chosenForCustomer) =>
        PaymentRouting.Choose(settings.Current.Rules(), Configured, country, currency, chosenForCustomer);
}
