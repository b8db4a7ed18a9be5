using Microsoft.Extensions.Options;

namespace Tollgate.Gateway.Routing;

/// <summary>
/// The route table in force on this node. Configured providers and models come first; ones added over the admin API
/// are merged in under names the configuration does not use. Readers take <see cref="Current"/> without locking.
/// </summary>
public sealed class RouteRegistry
{
    readonly GatewayOptions _options;
    volatile RouteTable _current;

    public RouteRegistry(IOptions<GatewayOptions> options)
    {
        _options = options.Value;
        var (table, errors) = Build(new Dictionary<string, ProviderOptions>(), new Dictionary<string, ModelOptions>());
        ConfigurationErrors = errors;
        _current = table;
    }

    public RouteTable Current => _current;

    /// <summary>Problems in the configured providers and models, reported at start-up.</summary>
    public IReadOnlyList<string> ConfigurationErrors { get; }

    /// <summary>Whether the configuration names no models, so the built-in defaults are used.</summary>
    public bool UsesDefaults => _options.Models.Count == 0;

    /// <summary>Swaps in a table built from the configuration plus the stored (admin API) providers and models.</summary>
    public IReadOnlyList<string> Apply(IReadOnlyDictionary<string, ProviderOptions> stored, IReadOnlyDictionary<string, ModelOptions> storedModels)
    {
        var (table, errors) = Build(stored, storedModels);
        _current = table;
        return errors;
    }

    (RouteTable, IReadOnlyList<string>) Build(IReadOnlyDictionary<string, ProviderOptions> stored, IReadOnlyDictionary<string, ModelOptions> storedModels)
    {
        var configuredProviders = _options.Providers.Count == 0 && UsesDefaults ? GatewayDefaults.Providers() : _options.Providers;
        var configuredModels = UsesDefaults && storedModels.Count == 0 ? GatewayDefaults.Models() : _options.Models;
        var providers = new Dictionary<string, ProviderOptions>(stored, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, provider) in configuredProviders) providers[name] = provider;
        var models = new Dictionary<string, ModelOptions>(storedModels, StringComparer.OrdinalIgnoreCase);
        foreach (var (alias, model) in configuredModels) models[alias] = model;
        return RouteTable.Build(providers, models);
    }
}
