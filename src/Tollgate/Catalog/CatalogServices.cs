using Microsoft.Extensions.DependencyInjection.Extensions;
using Tollgate.Common;

namespace Tollgate.Catalog;

public static class CatalogServices
{
    public static IServiceCollection AddCatalog(this IServiceCollection services)
    {
        services.TryAddSingleton<CatalogStore>();
        services.TryAddSingleton<PlanStore>();
        services.TryAddSingleton<CatalogApplier>();
        services.TryAddSingleton<CatalogMetrics>();
        services.OnChange<CatalogMetrics>((metrics, kind, _) =>
        {
            if (kind == ChangeKind.Catalog) metrics.Forget();
        });
        return services;
    }
}
