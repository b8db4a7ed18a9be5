namespace Tollgate.Portal;

public static class PortalServices
{
    public static IServiceCollection AddPortal(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<PortalOptions>(configuration.GetSection("Portal"));
        services.AddSingleton<PortalSessions>();
        services.AddSingleton<PortalData>();
        return services;
    }
}
