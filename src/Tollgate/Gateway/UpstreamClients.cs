using System.Net;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Sandbox;

namespace Tollgate.Gateway;

/// <summary>The HTTP clients the gateway calls providers with: one pooled client for the network, one for the in-process sandbox.</summary>
public sealed class UpstreamClients(SandboxHandler sandbox) : IDisposable
{
    readonly HttpClient _network = new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        ConnectTimeout = TimeSpan.FromSeconds(10),
        AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate | DecompressionMethods.Brotli,
        UseCookies = false,
        AllowAutoRedirect = false,
        EnableMultipleHttp2Connections = true,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    readonly HttpClient _sandbox = new(sandbox) { Timeout = Timeout.InfiniteTimeSpan };

    public HttpClient For(UpstreamProvider provider) => provider.Kind == ProviderKind.Sandbox ? _sandbox : _network;

    public void Dispose()
    {
        _network.Dispose();
        _sandbox.Dispose();
    }
}
