using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Tollgate.Storage;

public static class StorageServices
{
    public static IServiceCollection AddStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.Section)
            .PostConfigure(o =>
            {
                // DATABASE_URL, as platforms like Heroku and Render set it, when nothing more specific is given.
                if (string.IsNullOrWhiteSpace(o.ConnectionString)) o.ConnectionString = configuration["DATABASE_URL"] ?? "";
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();
        services.TryAddSingleton(sp => new Database(ConnectionTarget.Parse(sp.GetRequiredService<IOptions<StorageOptions>>().Value.ConnectionString)));
        services.TryAddSingleton<Common.ChangeFeed>();
        services.TryAddSingleton<Migrator>();
        services.TryAddSingleton<NodeIdentity>();
        services.AddHostedService<ClusterChanges>();
        return services;
    }
}

sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        try
        {
            ConnectionTarget.Parse(options.ConnectionString);
            return ValidateOptionsResult.Success;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or KeyNotFoundException)
        {
            return ValidateOptionsResult.Fail(
                $"Storage:ConnectionString (or DATABASE_URL) is not usable: {e.Message} " +
                "Give a SQLite 'Data Source=path.db', an Npgsql 'Host=…;Database=…;Username=…' or a postgres:// URL.");
        }
    }
}
