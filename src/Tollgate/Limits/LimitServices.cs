using Microsoft.Extensions.DependencyInjection.Extensions;
using Tollgate.Common;

namespace Tollgate.Limits;

public static class LimitServices
{
    public static IServiceCollection AddLimits(this IServiceCollection services)
    {
        services.TryAddSingleton<LimitStore>();
        services.TryAddSingleton<LimitUsage>();
        services.TryAddSingleton<LimitBook>();
        services.OnChange<LimitBook>(static (book, kind, _) =>
        {
            if (kind == ChangeKind.Limit) book.Reload();
        });
        return services;
    }
}
