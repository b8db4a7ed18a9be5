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
        services.TryAddSingleton<CatalogSnapshot>();
        services.TryAddSingleton<CatalogMetrics>();
        services.OnChange<CatalogSnapshot>((snapshot, kind, _) =>
        {
            if (kind == ChangeKind.Catalog) snapshot.Forget();
        });
        return services;
    }
}
