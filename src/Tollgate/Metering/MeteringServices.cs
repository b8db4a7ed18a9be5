using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Tollgate.Metering.Queries;

namespace Tollgate.Metering;

public static class MeteringServices
{
    public static IServiceCollection AddMetering(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MeteringOptions>().Bind(configuration.GetSection(MeteringOptions.Section));
        services.AddSingleton<IValidateOptions<MeteringOptions>, MeteringOptionsValidation>();
        services.TryAddSingleton<EventStore>();
        services.TryAddSingleton<EventLog>();
        services.AddHostedService(s => s.GetRequiredService<EventLog>());
        services.TryAddSingleton<EventIngestion>();
        services.TryAddSingleton<UsageAggregator>();
        services.TryAddSingleton<UsageTotals>();
        services.TryAddSingleton<Reconciliation>();
        return services;
    }
}

sealed class MeteringOptionsValidation : IValidateOptions<MeteringOptions>
{
    public ValidateOptionsResult Validate(string? name, MeteringOptions options)
    {
        var errors = new List<string>();
        if (options.LateEventDays is < 0 or > 3660) errors.Add("Metering:LateEventDays must be between 0 and 3660.");
        if (options.FutureToleranceSeconds is < 0 or > 86_400) errors.Add("Metering:FutureToleranceSeconds must be between 0 and 86400.");
        if (options.PostgresWriters is < 1 or > 32) errors.Add("Metering:PostgresWriters must be between 1 and 32.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
