using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Tollgate.Common;
using Tollgate.Payments.Checkout;
using Tollgate.Payments.Ledger;
using Tollgate.Payments.Providers;
using Tollgate.Payments.Providers.Stripe;
using Tollgate.Payments.Webhooks;

namespace Tollgate.Payments;

public static class PaymentsServices
{
    public static IServiceCollection AddPayments(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PaymentsOptions>().Bind(configuration.GetSection(PaymentsOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PaymentsOptions>, PaymentsOptionsValidation>();
        services.TryAddSingleton<PaymentsHttp>();
        services.TryAddSingleton<Credentials.PaymentSettings>();
        services.AddHostedService(s => s.GetRequiredService<Credentials.PaymentSettings>());
        services.OnChange<Credentials.PaymentSettings>(static (settings, kind, _) =>
        {
            if (kind == ChangeKind.PaymentCredentials) settings.ReloadSoon();
        });
        services.TryAddSingleton<Credentials.PaymentCredentialService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPaymentProvider, StripeProvider>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPaymentProvider, Providers.Razorpay.RazorpayProvider>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPaymentProvider, Providers.Paddle.PaddleProvider>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPaymentProvider, Providers.LemonSqueezy.LemonSqueezyProvider>());
        services.TryAddSingleton<Providers.Test.TestProvider>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPaymentProvider, Providers.Test.TestProvider>(sp => sp.GetRequiredService<Providers.Test.TestProvider>()));
        services.TryAddSingleton<PaymentProviders>();
        services.TryAddSingleton<PaymentStore>();
        services.TryAddSingleton<PaymentLedger>();
        services.TryAddSingleton<PaymentQueries>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Billing.Invoices.IInvoiceSettlements, InvoiceSettlements>());
        services.TryAddSingleton<RefundService>();
        services.TryAddSingleton<CheckoutStore>();
        services.TryAddSingleton<CheckoutService>();
        services.TryAddSingleton<WebhookReceiver>();
        services.TryAddSingleton<Accounts.PaymentAccountService>();
        // Resumed at the provider, then collected, then ended or paused there: each invoice is charged on a subscription
        // that is running at the provider, the last one included.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Billing.Runs.IAfterInvoiceRun, ProviderSubscriptionResumes>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Billing.Runs.IAfterInvoiceRun, InvoiceCollector>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Billing.Runs.IAfterInvoiceRun, ProviderSubscriptionEnds>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Billing.Runs.IAfterInvoiceRun, CheckoutExpiry>());
        return services;
    }
}
