using Tollgate.Gateway.Admin;

namespace Tollgate.Gateway.Routing;

/// <summary>
/// Lays the three places providers and models come from over each other: the built-in defaults (only when the
/// configuration names no models), then those added over the admin API, then the configuration file, which wins.
/// </summary>
public sealed class RouteLayers
{
    RouteLayers(
        Dictionary<string, (ProviderOptions Options, RouteSource Source)> providers,
        Dictionary<string, (ModelOptions Options, RouteSource Source)> models)
    {
        Providers = providers;
        Models = models;
    }

    public IReadOnlyDictionary<string, (ProviderOptions Options, RouteSource Source)> Providers { get; }

    public IReadOnlyDictionary<string, (ModelOptions Options, RouteSource Source)> Models { get; }

    public static RouteLayers Merge(
        GatewayOptions configuration,
        IReadOnlyDictionary<string, ProviderOptions> storedProviders,
        IReadOnlyDictionary<string, ModelOptions> storedModels)
    {
        var useDefaults = configuration.Models.Count == 0;
        var providers = new Dictionary<string, (ProviderOptions, RouteSource)>(StringComparer.OrdinalIgnoreCase);
        var models = new Dictionary<string, (ModelOptions, RouteSource)>(StringComparer.OrdinalIgnoreCase);
        if (useDefaults && configuration.Providers.Count == 0) Lay(providers, GatewayDefaults.Providers(), RouteSource.Default);
        if (useDefaults) Lay(models, GatewayDefaults.Models(), RouteSource.Default);
        Lay(providers, storedProviders, RouteSource.Api);
        Lay(models, storedModels, RouteSource.Api);
        Lay(providers, configuration.Providers, RouteSource.Configuration);
        Lay(models, configuration.Models, RouteSource.Configuration);
        return new RouteLayers(providers, models);
    }

    public (RouteTable Table, IReadOnlyList<string> Errors) Build(Outbound.OutboundPolicy policy) => RouteTable.Build(
        Providers.ToDictionary(p => p.Key, p => p.Value.Options, StringComparer.OrdinalIgnoreCase),
        Models.ToDictionary(m => m.Key, m => m.Value.Options, StringComparer.OrdinalIgnoreCase),
        policy);

    /// <summary>Names every definition answers to, the built-in sandbox included.</summary>
    public IReadOnlySet<string> ProviderNames() =>
        new HashSet<string>(Providers.Keys.Append(UpstreamProvider.SandboxName), StringComparer.OrdinalIgnoreCase);

    public IReadOnlySet<string> ModelAliases() => new HashSet<string>(Models.Keys, StringComparer.OrdinalIgnoreCase);

    public RouteSource? SourceOfProvider(string name) => Providers.TryGetValue(name, out var p) ? p.Source : null;

    public RouteSource? SourceOfModel(string alias) => Models.TryGetValue(alias, out var m) ? m.Source : null;

    static void Lay<T>(Dictionary<string, (T, RouteSource)> into, IReadOnlyDictionary<string, T> from, RouteSource source)
    {
        foreach (var (name, options) in from) into[name] = (options, source);
    }
}
