using Microsoft.Extensions.Options;

namespace Tollgate.Gateway.Routing;

/// <summary>
/// The route table in force on this node, built from the configuration (or from <see cref="GatewayDefaults"/> when it
/// names no models). Readers take <see cref="Current"/> without locking; providers and models managed over the admin
/// API will swap in a rebuilt table here.
/// </summary>
public sealed class RouteRegistry(IOptions<GatewayOptions> options)
{
    readonly RouteTable _current = Build(options.Value);

    public RouteTable Current => _current;

    static RouteTable Build(GatewayOptions options)
    {
        var defaults = options.Models.Count == 0;
        var providers = defaults && options.Providers.Count == 0 ? GatewayDefaults.Providers() : options.Providers;
        return RouteTable.Build(providers, defaults ? GatewayDefaults.Models() : options.Models).Table;
    }
}
