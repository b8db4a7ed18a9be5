using Microsoft.Extensions.Options;
using Tollgate.IntegrationTests.Infrastructure;
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
    readonly RawHttpServer _server = new(port => $"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:{port}/elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    readonly SecretBox _box = new(() => Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

    int Port => _server.Port;

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
        _server.Received.ShouldBeEmpty(); // no connection was made
        var allowed = await open.SendAsync(To($"http://localhost:{Port}/hook"), CancellationToken.None);

        (refused.StatusCode, refused.Succeeded).ShouldBe((null, false));
        refused.Error.ShouldNotBeNull().ShouldContain("Webhooks:AllowPrivateAddresses");
        allowed.StatusCode.ShouldBe(307); // the redirect is the answer: not followed, and not a success
        allowed.Succeeded.ShouldBeFalse();
        _server.Received.ShouldBe(["POST /hook HTTP/1.1"]);
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
    public async Task An_answer_whose_body_breaks_off_is_still_its_status()
    {
        await using var broken = new RawHttpServer(_ => "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\nshort");
        using var open = Sender(allowPrivate: true);

        var outcome = await open.SendAsync(To($"http://127.0.0.1:{broken.Port}/hook"), CancellationToken.None);

        (outcome.StatusCode, outcome.Succeeded).ShouldBe((200, true)); // recorded as answered, not left to be sent again
        outcome.Error.ShouldNotBeNull();
    }

    [Fact]
    public async Task An_endpoint_whose_secret_does_not_open_is_a_failed_attempt_not_an_exception()
    {
        using var open = Sender(allowPrivate: true);
        var delivery = To($"http://127.0.0.1:{Port}/hook");
        var sealedElsewhere = new SecretBox(() => new byte[32]).Seal(StandardWebhooks.NewSecret(), WebhookEndpointService.SecretContext("we_test"));

        var outcome = await open.SendAsync(delivery with { Endpoint = delivery.Endpoint with { SecretSealed = sealedElsewhere } }, CancellationToken.None);

        (outcome.StatusCode, outcome.Succeeded).ShouldBe((null, false));
        outcome.Error.ShouldNotBeNull().ShouldContain("Secrets:Key");
        _server.Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task Link_local_addresses_are_refused_even_where_private_networks_are_allowed()
    {
        using var open = Sender(allowPrivate: true);
        var outcome = await open.SendAsync(To($"http://169.254.169.254:{Port}/latest/meta-data"), CancellationToken.None);
        outcome.Error.ShouldNotBeNull().ShouldContain("link-local");
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
