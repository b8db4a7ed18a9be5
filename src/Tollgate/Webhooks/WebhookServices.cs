using Microsoft.Extensions.DependencyInjection.Extensions;
using Tollgate.Webhooks.Delivery;
using Tollgate.Webhooks.Endpoints;

namespace Tollgate.Webhooks;

public static class WebhookServices
{
    public static IServiceCollection AddWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WebhookOptions>().Bind(configuration.GetSection(WebhookOptions.Section))
            .Validate(o => o.PollInterval >= TimeSpan.FromMilliseconds(10), "Webhooks:PollInterval must be at least 10 ms.")
            .Validate(o => o.AttemptTimeout > TimeSpan.Zero && o.AttemptTimeout <= TimeSpan.FromMinutes(5), "Webhooks:AttemptTimeout must be between 0 and 5 minutes.")
            .Validate(o => o.Concurrency is >= 1 and <= 10_000, "Webhooks:Concurrency must be from 1 to 10,000.")
            .Validate(o => o.ConcurrencyPerEndpoint >= 1, "Webhooks:ConcurrencyPerEndpoint must be at least 1.")
            .Validate(o => o.RotationOverlap >= TimeSpan.Zero, "Webhooks:RotationOverlap cannot be negative.")
            .Validate(o => o.DisableAfterFailingFor > TimeSpan.Zero, "Webhooks:DisableAfterFailingFor must be positive.")
            .Validate(o => o.AttemptRetention >= TimeSpan.FromDays(1), "Webhooks:AttemptRetention must be at least a day.")
            .ValidateOnStart();
        services.TryAddSingleton<WebhookEndpointStore>();
        services.TryAddSingleton<WebhookEndpointService>();
        services.TryAddSingleton<DeliveryStore>();
        services.TryAddSingleton<DeliveryHistory>();
        services.TryAddSingleton<WebhookSender>();
        services.TryAddSingleton<WebhookDispatcher>();
        services.AddHostedService(s => s.GetRequiredService<WebhookDispatcher>());
        return services;
    }
}
