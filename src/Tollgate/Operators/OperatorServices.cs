namespace Tollgate.Operators;

public static class OperatorServices
{
    public static IServiceCollection AddOperators(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<OperatorOptions>(configuration.GetSection("Operators"));
        services.AddSingleton<OperatorStore>();
        return services;
    }
}
