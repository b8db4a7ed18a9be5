using Microsoft.Extensions.DependencyInjection.Extensions;
using Tollgate.Common;
using Tollgate.Counters;
using Tollgate.Entitlements.Grants;
using Tollgate.Entitlements.Quotas;
using Tollgate.Gateway.Reservations;

namespace Tollgate.Entitlements;

public static class EntitlementServices
{
    public static IServiceCollection AddEntitlements(this IServiceCollection services)
    {
        services.TryAddSingleton<EntitlementLoader>();
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
        services.TryAddSingleton<GatewayReservations>();
        services.TryAddSingleton<GatewayQuotas>();
        return services;
    }
}
