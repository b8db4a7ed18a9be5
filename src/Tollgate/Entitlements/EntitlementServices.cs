using Microsoft.Extensions.DependencyInjection.Extensions;
using Tollgate.Common;
using Tollgate.Counters;
using Tollgate.Entitlements.Access;
using Tollgate.Entitlements.Grants;

namespace Tollgate.Entitlements;

public static class EntitlementServices
{
    public static IServiceCollection AddEntitlements(this IServiceCollection services)
    {
        services.TryAddSingleton<EntitlementLoader>();
        services.TryAddSingleton<CustomerAccessCache>();
        services.TryAddSingleton<Customers.ICustomerDirectory, CustomerDirectory>();
        services.OnChange<CustomerAccessCache>(static (customers, kind, id) =>
        {
            // A changed customer is reloaded on its next request; changed plans or features touch everyone.
            if (kind == ChangeKind.Customer && id is not null) customers.Invalidate(id);
            else if (kind is ChangeKind.Customer or ChangeKind.Catalog) customers.Clear();
        });
        services.TryAddSingleton<OverrideStore>();
        services.TryAddSingleton<EntitlementChecker>();
        services.TryAddSingleton<QuotaUsageCache>();
        services.TryAddSingleton<GrantStore>();
        services.TryAddSingleton<GrantBalances>();
        services.OnChange<QuotaUsageCache>(static (cache, kind, id) =>
        {
            if (kind == ChangeKind.Usage) cache.Forget(id);
            else if (kind == ChangeKind.Catalog) cache.Forget(null);
        });
        services.TryAddSingleton<NodeRegistry>();
        // Registered before the ledger, so it stops after the ledger has given its leases back.
        services.AddHostedService(s => s.GetRequiredService<NodeRegistry>());
        services.TryAddSingleton<CounterStore>();
        services.TryAddSingleton<CounterLedger>();
        services.AddHostedService(s => s.GetRequiredService<CounterLedger>());
        return services;
    }
}
