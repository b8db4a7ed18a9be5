using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Tollgate.Alerts;

public static class AlertServices
{
    public static IServiceCollection AddAlerts(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AlertOptions>().Bind(configuration.GetSection(AlertOptions.Section))
            .Validate(o => o.QuotaThresholds.All(t => t is >= 1 and <= 1000), "Alerts:QuotaThresholds must be percentages from 1 to 1000.")
            .Validate(o => o.Interval >= TimeSpan.FromMilliseconds(100), "Alerts:Interval must be at least 100 ms.")
            .ValidateOnStart();
        services.TryAddSingleton<AlertStore>();
        services.TryAddSingleton<ThresholdMonitor>();
        services.AddHostedService(s => s.GetRequiredService<ThresholdMonitor>());
        services.AddSingleton<Metering.IUsageObserver>(s => s.GetRequiredService<ThresholdMonitor>());
        return services;
    }
}
