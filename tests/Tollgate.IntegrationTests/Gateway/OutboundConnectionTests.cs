using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Options;
using Tollgate.Gateway;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Sandbox;
using Tollgate.Outbound;

namespace Tollgate.IntegrationTests.Gateway;

/// <summary>
/// The production upstream client over real sockets on loopback: the address policy is applied to the address a
/// name resolves to when connecting, and through a proxy to each destination before its request.
/// </summary>
public sealed class OutboundConnectionTests : IAsyncDisposable
{
    readonly TcpListener _listener = new(System.Net.IPAddress.Loopback, 0);
    readonly List<string> _received = [];
    readonly Task _serving;
    readonly CancellationTokenSource _stop = new();

    public OutboundConnectionTests()
    {
        _listener.Start();
        _serving = ServeAsync();
    }

    int Port => ((System.Net.IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Answers every request with a small 200, and notes its request line (a proxy sees absolute URLs there).</summary>
    async Task ServeAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var stream = client.GetStream();
                var buffer = new byte[8192];
                var read = await stream.ReadAsync(buffer, _stop.Token);
                var head = Encoding.ASCII.GetString(buffer, 0, read);
                lock (_received) _received.Add(head.Split("\r\n")[0]);
                await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"u8.ToArray(), _stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The policy's refusal: thrown as is before a proxied request, wrapped by the handler when connecting.</summary>
    static OutboundRefusedException Refusal(HttpRequestException e) =>
        (e as OutboundRefusedException ?? e.InnerException as OutboundRefusedException).ShouldNotBeNull();

    static UpstreamProvider Provider(string baseUrl) =>
        new("p", ProviderKind.OpenAI, new Uri(baseUrl), null, TimeSpan.FromSeconds(5), new Dictionary<string, string>());

    static UpstreamClients Clients(bool allowPrivate, string? proxy = null) =>
        new(new SandboxHandler(TimeProvider.System), Options.Create(new GatewayOptions { AllowPrivateAddresses = allowPrivate, Proxy = proxy }));

    [Fact]
    public async Task A_name_that_resolves_to_loopback_is_refused_when_connecting_unless_private_networks_are_allowed()
    {
        using var strict = Clients(allowPrivate: false);
        using var open = Clients(allowPrivate: true);
        var url = $"http://localhost:{Port}/v1/models";

        var refused = await Should.ThrowAsync<HttpRequestException>(() => strict.For(Provider(url)).GetAsync(url));
        using var allowed = await open.For(Provider(url)).GetAsync(url);

        Refusal(refused).Message.ShouldContain("private");
        allowed.StatusCode.ShouldBe(HttpStatusCode.OK);
        lock (_received) _received.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Through_a_proxy_the_destination_is_checked_and_the_operators_own_proxy_is_reached()
    {
        using var proxied = Clients(allowPrivate: false, proxy: $"http://127.0.0.1:{Port}");

        var refused = await Should.ThrowAsync<HttpRequestException>(() => proxied.For(Provider("http://10.0.0.7/v1")).GetAsync("http://10.0.0.7/v1/models"));
        var metadata = await Should.ThrowAsync<HttpRequestException>(() => proxied.For(Provider("http://169.254.169.254/")).GetAsync("http://169.254.169.254/latest"));
        using var allowed = await proxied.For(Provider("http://8.8.8.8/v1")).GetAsync("http://8.8.8.8/v1/models");

        Refusal(refused).Message.ShouldContain("private");
        Refusal(metadata).Message.ShouldContain("link-local");
        allowed.StatusCode.ShouldBe(HttpStatusCode.OK);
        lock (_received) _received.ShouldBe(["GET http://8.8.8.8/v1/models HTTP/1.1"]);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _serving;
        _stop.Dispose();
    }
}
