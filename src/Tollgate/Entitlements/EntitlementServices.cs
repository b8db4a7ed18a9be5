using Microsoft.Extensions.DependencyInjection.Extensions;
using Tollgate.Entitlements.Quotas;

namespace Tollgate.Entitlements;

public static class EntitlementServices
{
    public static IServiceCollection AddEntitlements(this IServiceCollection services)
    {
        services.TryAddSingleton<EntitlementLoader>();
        services.TryAddSingleton<OverrideStore>();
        services.TryAddSingleton<EntitlementChecker>();
        services.TryAddSingleton<QuotaStore>();
        services.TryAddSingleton<QuotaLedger>();
        services.AddHostedService(s => s.GetRequiredService<QuotaLedger>());
        services.TryAddSingleton<GatewayQuotas>();
        return services;
    }
}
