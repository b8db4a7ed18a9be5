using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Logging;

namespace Tollgate.IntegrationTests.Infrastructure;

/// <summary>
/// What every loopback stand-in for a payment provider has: a minimal ASP.NET Core app on a port of its own, its
/// address, where it sends its webhooks, its clock (the server's, so that what it signs is "now" to the server under
/// test), and posting a webhook as the provider does.
/// </summary>
public abstract class LoopbackFake : IAsyncDisposable
{
    WebApplication? _app;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Where webhooks go: the Tollgate server's <c>/webhooks/{provider}</c>.</summary>
    public Uri? WebhookTarget { get; set; }

    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>Starts listening on a free loopback port, with the routes <paramref name="map"/> adds.</summary>
    protected async Task ListenAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        map(_app);
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    /// <summary>POSTs <paramref name="body"/> as JSON to <see cref="WebhookTarget"/> with the provider's headers (a null value is not sent), and reads the answer.</summary>
    protected async Task<HttpResponseMessage> PostWebhookAsync(string body, params (string Name, string? Value)[] headers)
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, WebhookTarget) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers)
        {
            if (value is not null) request.Headers.TryAddWithoutValidation(name, value);
        }

        var response = await client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is null) return;
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
