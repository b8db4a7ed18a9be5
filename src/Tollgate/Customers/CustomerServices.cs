using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Tollgate.Customers;

public static class CustomerServices
{
    public static IServiceCollection AddCustomers(this IServiceCollection services)
    {
        services.TryAddSingleton<CustomerStore>();
        services.TryAddSingleton<MemberStore>();
        services.TryAddSingleton<InvitationStore>();
        return services;
    }
}
