using System.Text.Json;
using Tollgate.Payments.Providers;

namespace Tollgate.Payments;

/// <summary>
/// The one HTTP client every payment provider is called with: pooled connections, a 30 s timeout per call, no
/// redirects followed (an API that redirects is not answering), no cookies.
/// </summary>
public sealed class PaymentsHttp : IDisposable
{
    public PaymentsHttp() => Client = new HttpClient(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(10),
    }) { Timeout = TimeSpan.FromSeconds(30) };

    public HttpClient Client { get; }

    /// <summary>
    /// Sends a provider's request and reads its JSON answer. An answer that is not a success, or not JSON, is the
    /// provider's error: <paramref name="error"/> reads its code and message from the body (an undefined element when
    /// it is not JSON) and the status, or throws an error of its own.
    /// </summary>
    public async Task<JsonDocument> SendAsync(
        HttpRequestMessage request, PaymentProviderName provider, Func<JsonElement, int, (string? Code, string? Message)> error, CancellationToken ct)
    {
        using var response = await Client.SendAsync(request, ct);
        var document = ProviderJson.TryParse(await response.Content.ReadAsByteArrayAsync(ct));
        if (response.IsSuccessStatusCode && document is not null) return document;
        using (document)
        {
            var status = (int)response.StatusCode;
            var (code, message) = error(document?.RootElement ?? default, status);
            throw new PaymentProviderException(provider, status, code, message ?? $"HTTP {status}");
        }
    }

    public void Dispose() => Client.Dispose();
}
