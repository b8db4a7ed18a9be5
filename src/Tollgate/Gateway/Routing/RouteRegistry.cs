using Microsoft.Extensions.Options;

namespace Tollgate.Gateway.Routing;

/// <summary>
/// The route table in force on this node. Readers take <see cref="Current"/> without locking; <see cref="Apply"/>
/// swaps in a table rebuilt from the configuration and the providers and models stored over the admin API.
/// </summary>
public sealed partial class RouteRegistry
{
    readonly GatewayOptions _configuration;
    readonly ILogger<RouteRegistry> _logger;
    volatile RouteTable _current = null!;

    public RouteRegistry(IOptions<GatewayOptions> options, ILogger<RouteRegistry> logger)
    {
        _configuration = options.Value;
        _logger = logger;
        Apply(new Dictionary<string, ProviderOptions>(), new Dictionary<string, ModelOptions>());
    }

    public RouteTable Current => _current;

    public GatewayOptions Configuration => _configuration;

    /// <summary>Rebuilds the table with these stored definitions; ones that no longer fit (a provider since removed from the file, say) are left out and logged.</summary>
    public void Apply(IReadOnlyDictionary<string, ProviderOptions> storedProviders, IReadOnlyDictionary<string, ModelOptions> storedModels)
    {
        var layers = RouteLayers.Merge(_configuration, storedProviders, storedModels);
        var (table, errors) = layers.Build(_configuration.Outbound());
        foreach (var error in errors) LogRouteLeftOut(_logger, error);
        _current = table;
    }

    [LoggerMessage(EventId = 4401, Level = LogLevel.Warning, Message = "Gateway route left out: {Problem}")]
    static partial void LogRouteLeftOut(ILogger logger, string problem);
}
