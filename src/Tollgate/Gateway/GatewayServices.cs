using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Tollgate.Gateway.Admin;
using Tollgate.Gateway.Pricing;
using Tollgate.Gateway.Reservations;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Sandbox;
using Tollgate.Gateway.Usage;
using Tollgate.Secrets;

namespace Tollgate.Gateway;

public static class GatewayServices
{
    public static IServiceCollection AddGateway(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GatewayOptions>().Bind(configuration.GetSection(GatewayOptions.Section));
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidation>();
        services.AddOptions<SecretsOptions>().Bind(configuration.GetSection(SecretsOptions.Section));
        services.AddSingleton<IValidateOptions<SecretsOptions>, SecretsOptionsValidation>();
        services.TryAddSingleton<SecretBox>();
        services.TryAddSingleton<RouteRegistry>();
        services.TryAddSingleton<RouteStore>();
        services.TryAddSingleton<RouteRefresher>();
        services.AddHostedService(s => s.GetRequiredService<RouteRefresher>());
        services.TryAddSingleton<GatewayAuthenticator>();
        services.TryAddSingleton<SandboxHandler>();
        services.TryAddSingleton<UpstreamClients>();
        services.TryAddSingleton<PriceBook>();
        services.TryAddSingleton<ResponseCache>();
        services.TryAddSingleton<UsageStore>();
        services.AddOptions<UsageJournalOptions>().BindConfiguration(UsageJournalOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<UsageJournalOptions>, UsageJournalOptionsValidation>();
        services.TryAddSingleton<UsageJournal>();
        services.TryAddSingleton<UsageDrain>();
        services.AddHostedService(s => s.GetRequiredService<UsageDrain>());
        services.TryAddSingleton<UsageJournalHealth>();
        services.AddHealthChecks().AddCheck<UsageJournalHealth>("usage_journal", tags: ["ready"]);
        services.TryAddSingleton<GatewayReservations>();
        services.TryAddSingleton<GatewayQuotas>();
        services.TryAddSingleton<GatewayLimits>();
        services.TryAddSingleton<CounterReconciler>();
        services.AddHostedService(s => s.GetRequiredService<CounterReconciler>());
        services.TryAddSingleton<CallReservations>();
        services.TryAddSingleton<CallSettlement>();
        services.TryAddSingleton<AnswerWriter>();
        services.TryAddSingleton<StreamForwarder>();
        services.TryAddSingleton<UpstreamForwarder>();
        services.TryAddSingleton<GatewayHandler>();
        return services;
    }
}

/// <summary>Refuses to start with providers or models that cannot work: unknown providers, bad URLs, dangling fallbacks.</summary>
sealed class GatewayOptionsValidation : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var (_, errors) = RouteTable.Build(options.Providers, options.Models, options.Outbound());
        var all = errors.ToList();
        if (options.MaxAttempts is < 1 or > 10) all.Add("Gateway:MaxAttempts must be between 1 and 10.");
        if (options.MaxResponseBytes < 1024) all.Add("Gateway:MaxResponseBytes must be at least 1024.");
        if (options.Proxy is { Length: > 0 } proxy && !(Uri.TryCreate(proxy, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            all.Add($"Gateway:Proxy '{proxy}' is not an http or https URL.");
        }
        if (options.Cache.HitChargeRatio is < 0 or > 1) all.Add("Gateway:Cache:HitChargeRatio must be between 0 and 1.");
        foreach (var (model, price) in options.Prices)
        {
            if (price.Input < 0 || price.Output < 0 || price.PerImage < 0 || price.PerRequest < 0) all.Add($"Gateway:Prices:{model}: prices cannot be negative.");
        }

        return all.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(all);
    }
}

sealed class UsageJournalOptionsValidation : IValidateOptions<UsageJournalOptions>
{
    public ValidateOptionsResult Validate(string? name, UsageJournalOptions options)
    {
        var errors = new List<string>();
        if (options.FsyncInterval <= TimeSpan.Zero || options.FsyncInterval > TimeSpan.FromMinutes(1)) errors.Add("Gateway:Journal:FsyncInterval must be between 0 and 1 minute.");
        if (options.SegmentBytes < 64 * 1024) errors.Add("Gateway:Journal:SegmentBytes must be at least 65536.");
        if (options.WarnBacklogBytes < 0) errors.Add("Gateway:Journal:WarnBacklogBytes cannot be negative.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
