using Tollgate.Analytics.Mrr;

namespace Tollgate.Analytics;

public static class AnalyticsServices
{
    public static IServiceCollection AddAnalytics(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<AnalyticsOptions>(configuration.GetSection("Analytics"));
        services.AddSingleton<MrrStore>();
        services.AddSingleton<MrrReport>();
        services.AddSingleton<MetricsReport>();
        services.AddSingleton<CohortReport>();
        services.AddSingleton<ConvertedMrrReport>();
        services.AddSingleton<Currencies.ExchangeRates>();
        services.AddSingleton<Usage.UsageReport>();
        services.AddSingleton<Usage.MarginReport>();
        services.AddSingleton<Goals.GoalStore>();
        services.AddSingleton<Customers.CustomerAnalytics>();
        services.AddSingleton<Customers.NearLimits>();
        services.AddSingleton<Goals.GoalReport>();
        services.AddSingleton<MrrProjector>();
        services.AddHostedService(s => s.GetRequiredService<MrrProjector>());
        return services;
    }
}
