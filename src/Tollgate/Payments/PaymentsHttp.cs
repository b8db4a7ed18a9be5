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

    public void Dispose() => Client.Dispose();
}
