using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Options;
using Tollgate.Secrets;
using Tollgate.Webhooks;
using Tollgate.Webhooks.Delivery;
using Tollgate.Webhooks.Endpoints;

namespace Tollgate.IntegrationTests.Webhooks;

/// <summary>
/// The production sender over real sockets: the address policy is applied to the address actually connected to at
/// delivery time, so an endpoint whose name resolves to loopback (or any refused class) gets nothing, whatever it was
/// when registered, and a redirect is not followed.
/// </summary>
public sealed class WebhookAddressTests : IAsyncDisposable
{
    readonly TcpListener _listener = new(System.Net.IPAddress.Loopback, 0);
    readonly List<string> _received = [];
    readonly CancellationTokenSource _stop = new();
    readonly Task _serving;
    readonly SecretBox _box = new(() => Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

    public WebhookAddressTests()
    {
        _listener.Start();
        _serving = ServeAsync();
    }

    int Port => ((System.Net.IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Answers every request with a redirect to /elsewhere, and notes its request line.</summary>
    async Task ServeAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var stream = client.GetStream();
                var buffer = new byte[65536];
                var read = await stream.ReadAsync(buffer, _stop.Token);
                lock (_received) _received.Add(Encoding.ASCII.GetString(buffer, 0, read).Split("\r\n")[0]);
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:{Port}/elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), _stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    WebhookSender Sender(bool allowPrivate) =>
        new(_box, Options.Create(new WebhookOptions { AllowPrivateAddresses = allowPrivate, AttemptTimeout = TimeSpan.FromSeconds(5) }), TimeProvider.System);

    DueDelivery To(string url)
    {
        var now = DateTimeOffset.UtcNow;
        var endpoint = new WebhookEndpoint
        {
            Id = "we_test", Url = url, Events = ["*"], Mode = "test", Status = "enabled", CreatedAt = now, UpdatedAt = now,
            SecretSealed = _box.Seal(StandardWebhooks.NewSecret(), WebhookEndpointService.SecretContext("we_test")),
        };
        return new DueDelivery("wd_test", 0, "msg_test", "invoice.paid", null, """{"id":"in_1"}""", now, endpoint);
    }

    [Fact]
    public async Task A_name_that_resolves_to_loopback_gets_nothing_unless_private_networks_are_allowed()
    {
        using var strict = Sender(allowPrivate: false);
        using var open = Sender(allowPrivate: true);

        var refused = await strict.SendAsync(To($"http://localhost:{Port}/hook"), CancellationToken.None);
        lock (_received) _received.ShouldBeEmpty(); // no connection was made
        var allowed = await open.SendAsync(To($"http://localhost:{Port}/hook"), CancellationToken.None);

        (refused.StatusCode, refused.Succeeded).ShouldBe((null, false));
        refused.Error.ShouldNotBeNull().ShouldContain("Webhooks:AllowPrivateAddresses");
        allowed.StatusCode.ShouldBe(307); // the redirect is the answer: not followed, and not a success
        allowed.Succeeded.ShouldBeFalse();
        lock (_received) _received.ShouldBe(["POST /hook HTTP/1.1"]);
    }

    [Theory]
    [InlineData("http://127.0.0.2:{port}/", "private")]
    [InlineData("http://10.0.0.1:{port}/", "private")]
    [InlineData("http://172.16.0.1:{port}/", "private")]
    [InlineData("http://192.168.0.1:{port}/", "private")]
    [InlineData("http://100.64.0.1:{port}/", "private")]
    [InlineData("http://169.254.169.254:{port}/", "link-local")]
    [InlineData("http://0.0.0.0:{port}/", "link-local")]
    [InlineData("http://224.0.0.1:{port}/", "multicast")]
    [InlineData("http://[::1]:{port}/", "private")]
    [InlineData("http://[::ffff:127.0.0.1]:{port}/", "private")]
    [InlineData("http://[::ffff:169.254.169.254]:{port}/", "link-local")]
    [InlineData("http://[fe80::1]:{port}/", "link-local")]
    [InlineData("http://[fd12:3456::1]:{port}/", "private")]
    [InlineData("http://[ff02::1]:{port}/", "multicast")]
    public async Task Every_refused_address_class_is_refused_before_connecting(string url, string refusal)
    {
        using var strict = Sender(allowPrivate: false);

        var outcome = await strict.SendAsync(To(url.Replace("{port}", Port.ToString())), CancellationToken.None);

        outcome.StatusCode.ShouldBeNull();
        outcome.Error.ShouldNotBeNull().ShouldContain(refusal);
    }

    [Fact]
    public async Task Link_local_addresses_are_refused_even_where_private_networks_are_allowed()
    {
        using var open = Sender(allowPrivate: true);
        var outcome = await open.SendAsync(To($"http://169.254.169.254:{Port}/latest/meta-data"), CancellationToken.None);
        outcome.Error.ShouldNotBeNull().ShouldContain("link-local");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _serving;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }
}
