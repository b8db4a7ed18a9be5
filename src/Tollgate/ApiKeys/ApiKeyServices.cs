using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Tollgate.Common;

namespace Tollgate.ApiKeys;

/// <summary>How the operator's first admin key comes to be.</summary>
public sealed class AdminOptions
{
    public const string Section = "Admin";

    /// <summary>
    /// An admin key (<c>tg_admin_live_…</c>) to register on first start, when no admin key exists yet.
    /// Also read from <c>TOLLGATE_ADMIN_KEY</c>. When neither is set, one is generated and printed once.
    /// </summary>
    public string? BootstrapKey { get; set; }
}

public static class ApiKeyServices
{
    public static IServiceCollection AddApiKeys(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AdminOptions>()
            .BindConfiguration(AdminOptions.Section)
            .PostConfigure(o => o.BootstrapKey = string.IsNullOrWhiteSpace(o.BootstrapKey) ? configuration["TOLLGATE_ADMIN_KEY"] : o.BootstrapKey)
            .Validate(
                o => string.IsNullOrWhiteSpace(o.BootstrapKey) || (ApiKeySecret.TryParse(o.BootstrapKey.Trim(), out var kind, out _) && kind == KeyKind.Admin),
                "TOLLGATE_ADMIN_KEY (Admin:BootstrapKey) must be an admin key: 'tg_admin_live_' or 'tg_admin_test_' and 43 letters or digits. " +
                "Leave it unset and Tollgate generates one.")
            .ValidateOnStart();
        services.TryAddSingleton<ApiKeyCache>();
        services.OnChange<ApiKeyCache>(static (cache, kind, id) =>
        {
            if (kind != ChangeKind.Key) return;
            if (id is null) cache.Clear();
            else cache.Remove(id);
        });
        services.TryAddSingleton<ApiKeyStore>();
        services.TryAddSingleton<ApiKeyVerifier>();
        services.TryAddSingleton<AdminKeyBootstrap>();
        services.TryAddSingleton<KeyUsageRecorder>();
        services.AddHostedService(sp => sp.GetRequiredService<KeyUsageRecorder>());
        return services;
    }
}

/// <summary>Loads keys into memory and makes sure the operator has an admin key.</summary>
public sealed class AdminKeyBootstrap(ApiKeyStore store, IOptions<AdminOptions> options)
{
    /// <summary>Whether the operator chose the first admin key (<c>TOLLGATE_ADMIN_KEY</c>).</summary>
    public bool HasGivenKey => !string.IsNullOrWhiteSpace(options.Value.BootstrapKey);

    /// <summary>Returns the secret of a newly generated admin key, which must be shown once; null otherwise.</summary>
    public async Task<string?> RunAsync(CancellationToken ct)
    {
        await store.LoadIntoCacheAsync(ct);
        if (await store.AnyActiveAdminKeyAsync(ct)) return null;

        var given = options.Value.BootstrapKey?.Trim();
        if (!string.IsNullOrEmpty(given))
        {
            ApiKeySecret.TryParse(given, out _, out var mode);
            await store.ImportAsync(new NewKey(KeyKind.Admin, mode, null, "Bootstrap admin key", "From TOLLGATE_ADMIN_KEY", [Scopes.Admin], null), given, Common.Actor.System, ct);
            return null;
        }

        var created = await store.CreateAsync(
            new NewKey(KeyKind.Admin, KeyMode.Live, null, "Bootstrap admin key", "Generated on first start", [Scopes.Admin], null), Common.Actor.System, ct);
        return created.Value.Secret;
    }
}
