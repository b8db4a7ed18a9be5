using System.Net;
using System.Net.Sockets;
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
        ConnectCallback = ConnectAsync,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    readonly HttpClient _sandbox = new(sandbox) { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>
    /// Connects only to addresses <see cref="OutboundUrl"/> allows, after DNS: a provider host name that resolves to a
    /// link-local or metadata address (DNS rebinding) is refused, not just a literal one in the URL.
    /// </summary>
    static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        var allowed = addresses.Where(a => !OutboundUrl.IsLinkLocal(a)).ToArray();
        if (allowed.Length == 0) throw new HttpRequestException($"The provider host '{host}' resolves only to link-local or metadata addresses; Tollgate does not call those.");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public HttpClient For(UpstreamProvider provider) => provider.Kind == ProviderKind.Sandbox ? _sandbox : _network;

    public void Dispose()
    {
        _network.Dispose();
        _sandbox.Dispose();
    }
}
