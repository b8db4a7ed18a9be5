using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Tollgate.Billing.Invoices;
using Tollgate.Billing.Runs;
using Tollgate.Billing.Subscriptions;

namespace Tollgate.Billing;

public static class BillingServices
{
    public static IServiceCollection AddBilling(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<BillingOptions>().Bind(configuration.GetSection(BillingOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BillingOptions>, BillingOptionsValidation>();
        services.TryAddSingleton<Clocks.BillingClock>();
        services.TryAddSingleton<InvoiceStore>();
        services.TryAddSingleton<SubscriptionStore>();
        services.TryAddSingleton<UsageRater>();
        services.TryAddSingleton<AdvanceUsageStore>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IInvoiceVoidRule, AdvanceUsageStore>(s => s.GetRequiredService<AdvanceUsageStore>()));
        services.TryAddSingleton<AdvanceUsageRun>();
        services.TryAddSingleton<PlanMigration>();
        services.TryAddSingleton<InvoicePdf>();
        services.TryAddSingleton<InvoicePages>();
        services.AddSingleton<Catalog.ICatalogPart, BillingCatalogPart>();
        services.TryAddSingleton<InvoiceRunner>();
        services.TryAddSingleton<Taxes.TaxRateStore>();
        services.TryAddSingleton<Coupons.CouponStore>();
        services.TryAddSingleton<CreditNotes.CreditNoteStore>();
        services.TryAddSingleton<Wallets.WalletStore>();
        services.TryAddSingleton<Balances.BalanceStore>();
        services.TryAddSingleton<Dunning.DunningService>();
        services.TryAddSingleton<TestClocks.TestClockService>();
        services.AddHostedService<BillingScheduler>();
        return services;
    }
}
