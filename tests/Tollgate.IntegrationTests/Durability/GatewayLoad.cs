using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;

namespace Tollgate.IntegrationTests.Durability;

/// <summary>
/// Senders that call the gateway without pause, streamed and not by turns, and note every request that was answered in
/// full (its <c>x-request-id</c>): a streamed answer read to its end, a plain one with its whole body. A sender stops
/// when the server goes away under it.
/// </summary>
public sealed class GatewayLoad(Uri baseAddress, string key, int senders = 6)
{
    static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });

    readonly CancellationTokenSource _stop = new();
    Task[] _senders = [];
    int _cut;

    /// <summary>Requests answered in full, 200 or not, with whether they were 200.</summary>
    public ConcurrentDictionary<string, bool> Answered { get; } = new();

    /// <summary>Requests the server never finished answering (it died under them).</summary>
    public int Cut => Volatile.Read(ref _cut);

    public int Ok => Answered.Count(a => a.Value);

    public void Start() => _senders = [.. Enumerable.Range(0, senders).Select(i => Task.Run(() => SendAsync(i)))];

    /// <summary>Waits, in real time and at most 60 s, for <paramref name="count"/> more requests answered with 200.</summary>
    public async Task WaitForOkAsync(int count)
    {
        var target = Ok + count;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Ok < target && DateTime.UtcNow < deadline && !_senders.Any(s => s.IsCompleted)) await Task.Delay(10);
        if (_senders.FirstOrDefault(s => s.IsFaulted) is { } failed) await failed;
        Ok.ShouldBeGreaterThanOrEqualTo(target, "the gateway should keep answering");
    }

    /// <summary>Stops sending and waits for the senders to end.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_senders);
    }

    async Task SendAsync(int sender)
    {
        for (var n = 0; !_stop.IsCancellationRequested; n++)
        {
            var stream = (n + sender) % 2 == 0;
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseAddress, "/v1/chat/completions"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            request.Content = new StringContent(
                $$"""{"model":"gpt-4o-mini","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"request {{n}} of sender {{sender}}"}]}""",
                Encoding.UTF8, "application/json");
            try
            {
                using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                var body = await response.Content.ReadAsStringAsync();
                var id = response.Headers.GetValues("x-request-id").Single();
                var whole = !stream || !response.IsSuccessStatusCode || body.Contains("data: [DONE]", StringComparison.Ordinal);
                if (!whole)
                {
                    Interlocked.Increment(ref _cut);
                    return;
                }

                Answered[id] = response.IsSuccessStatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                Interlocked.Increment(ref _cut); // the server died with this request in flight
                return;
            }
        }
    }
}
