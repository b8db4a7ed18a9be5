using Microsoft.Extensions.Options;
using Tollgate.Gateway;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Sandbox;
using Tollgate.IntegrationTests.Infrastructure;
using Tollgate.Outbound;

namespace Tollgate.IntegrationTests.Gateway;

/// <summary>
/// The production upstream client over real sockets on loopback: the address policy is applied to the address a
/// name resolves to when connecting, and through a proxy to each destination before its request.
/// </summary>
public sealed class OutboundConnectionTests : IAsyncDisposable
{
    readonly RawHttpServer _server = new(_ => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");

    int Port => _server.Port;

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
        _server.Received.Count.ShouldBe(1);
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
        _server.Received.ShouldBe(["GET http://8.8.8.8/v1/models HTTP/1.1"]);
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
