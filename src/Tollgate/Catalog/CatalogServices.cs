using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Tollgate.Catalog;

public static class CatalogServices
{
    public static IServiceCollection AddCatalog(this IServiceCollection services)
    {
        services.TryAddSingleton<CatalogStore>();
        services.TryAddSingleton<PlanStore>();
        services.TryAddSingleton<CatalogApplier>();
        return services;
    }
}
