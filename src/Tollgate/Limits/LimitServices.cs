using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Tollgate.Limits;

public static class LimitServices
{
    public static IServiceCollection AddLimits(this IServiceCollection services)
    {
        services.TryAddSingleton<LimitStore>();
        services.TryAddSingleton<LimitUsage>();
        services.TryAddSingleton<LimitBook>();
        services.AddHostedService(s => s.GetRequiredService<LimitBook>());
        services.TryAddSingleton<GatewayLimits>();
        return services;
    }
}
