using System.Net;
using Microsoft.Extensions.Options;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Sandbox;
using Tollgate.Outbound;

namespace Tollgate.Gateway;

/// <summary>
/// The HTTP clients the gateway calls providers with: one pooled client for the network, one for the in-process
/// sandbox. The network client connects only where <see cref="OutboundPolicy"/> allows, judged on the address actually
/// connected to, after DNS; through a configured proxy, each destination is checked before its request.
/// </summary>
public sealed class UpstreamClients : IDisposable
{
    readonly HttpClient _network;
    readonly HttpClient _sandbox;

    public UpstreamClients(SandboxHandler sandbox, IOptions<GatewayOptions> options)
    {
        var policy = options.Value.Outbound();
        var proxy = string.IsNullOrWhiteSpace(options.Value.Proxy) ? null : new Uri(options.Value.Proxy);
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate | DecompressionMethods.Brotli,
            UseCookies = false,
            AllowAutoRedirect = false,
            EnableMultipleHttp2Connections = true,
            UseProxy = proxy is not null,
            Proxy = proxy is null ? null : new WebProxy(proxy),
            ConnectCallback = policy.ConnectCallback(proxy),
        };
        _network = new HttpClient(proxy is null ? handler : new ProxiedDestinationCheck(policy, handler)) { Timeout = Timeout.InfiniteTimeSpan };
        _sandbox = new HttpClient(sandbox) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public HttpClient For(UpstreamProvider provider) => provider.Kind == ProviderKind.Sandbox ? _sandbox : _network;

    public void Dispose()
    {
        _network.Dispose();
        _sandbox.Dispose();
    }
}
