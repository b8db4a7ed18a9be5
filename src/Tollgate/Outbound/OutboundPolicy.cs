using System.Net;
using System.Net.Sockets;

namespace Tollgate.Outbound;

/// <summary>
/// Where Tollgate may send requests: public addresses always; the operator's own networks (loopback, private, CGNAT,
/// unique local) only when allowed, for self-hosted models (Ollama, vLLM, llama.cpp); link-local (cloud metadata),
/// multicast, broadcast, unspecified and reserved addresses never. Applied to the address actually connected to, after
/// DNS, so a name that resolves somewhere else tomorrow (DNS rebinding) is judged by where it leads then.
/// </summary>
public sealed class OutboundPolicy(bool allowPrivate, string setting = "Gateway:AllowPrivateAddresses")
{
    public bool AllowPrivate { get; } = allowPrivate;

    /// <summary>Why Tollgate will not connect to <paramref name="address"/>, or null when it may.</summary>
    public string? Refusal(IPAddress address) => AddressRanges.Classify(address) switch
    {
        AddressKind.Public => null,
        AddressKind.Private when AllowPrivate => null,
        AddressKind.Private => $"{address} is a loopback or private address; set {setting} to call your own network.",
        _ => $"{address} is link-local (cloud metadata), multicast, broadcast or reserved; Tollgate never connects there.",
    };

    /// <summary>
    /// A <see cref="SocketsHttpHandler.ConnectCallback"/> that resolves the host, drops every address this policy
    /// refuses and connects to what is left. <paramref name="proxy"/>, when given, is the operator's own proxy and is
    /// connected to whatever its address.
    /// </summary>
    public Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> ConnectCallback(Uri? proxy = null) => async (context, ct) =>
    {
        var endpoint = context.DnsEndPoint;
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(endpoint.Host, ct);
        var isProxy = proxy is not null && string.Equals(proxy.IdnHost, endpoint.Host, StringComparison.OrdinalIgnoreCase) && proxy.Port == endpoint.Port;
        var allowed = isProxy ? addresses : addresses.Where(a => Refusal(a) is null).ToArray();
        if (allowed.Length == 0)
        {
            throw new OutboundRefusedException(addresses.Length == 0
                ? $"'{endpoint.Host}' does not resolve."
                : $"'{endpoint.Host}' resolves only to addresses Tollgate does not call: {Refusal(addresses[0])}");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, endpoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    };

    /// <summary>
    /// Through a proxy, Tollgate connects to the proxy, not to the destination: so the destination's name is resolved
    /// and judged before each request, and refused if any of its addresses is refused. The proxy resolves the name
    /// again; configure it to refuse private ranges too (see docs/guarantees.md).
    /// </summary>
    public async ValueTask CheckDestinationAsync(Uri destination, CancellationToken ct)
    {
        var host = destination.IdnHost.Trim('[', ']');
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        if (addresses.Length == 0) throw new OutboundRefusedException($"'{host}' does not resolve.");
        foreach (var address in addresses)
        {
            if (Refusal(address) is { } refusal) throw new OutboundRefusedException($"'{host}' resolves to an address Tollgate does not call: {refusal}");
        }
    }
}

/// <summary>A connection Tollgate refused to open, by its <see cref="OutboundPolicy"/>.</summary>
public sealed class OutboundRefusedException(string message) : HttpRequestException(message);

/// <summary>Checks each request's destination before it goes to a proxy (see <see cref="OutboundPolicy.CheckDestinationAsync"/>).</summary>
public sealed class ProxiedDestinationCheck(OutboundPolicy policy, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        await policy.CheckDestinationAsync(request.RequestUri!, ct);
        return await base.SendAsync(request, ct);
    }
}
