using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Tollgate.Idempotency;

public static class IdempotencyServices
{
    public static IServiceCollection AddIdempotency(this IServiceCollection services)
    {
        services.TryAddSingleton<IdempotencyStore>();
        services.AddHostedService<IdempotencyJanitor>();
        return services;
    }
}
