using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Webhooks;

/// <summary>
/// Tests with a webhook receiver of their own on loopback. When a test ends, its endpoints stop hearing events, so the
/// later tests' events do not go to a receiver that is gone.
/// </summary>
public abstract class WebhookReceiverTests(TollgateServer server) : IAsyncLifetime
{
    protected TollgateServer Server => server;

    protected FakeWebhookReceiver Receiver { get; private set; } = null!;

    public async Task InitializeAsync() => Receiver = await FakeWebhookReceiver.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var endpoint in (await server.Admin.GetAsync("/api/v1/webhook-endpoints?limit=100")).Data)
        {
            if (endpoint!["url"]!.GetValue<string>().StartsWith(Receiver.BaseAddress.ToString(), StringComparison.Ordinal))
                await server.Admin.DeleteAsync($"/api/v1/webhook-endpoints/{endpoint["id"]!.GetValue<string>()}");
        }

        await Receiver.DisposeAsync();
    }
}
