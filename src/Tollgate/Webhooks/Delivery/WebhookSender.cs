using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Tollgate.Outbound;
using Tollgate.Secrets;
using Tollgate.Webhooks.Endpoints;

namespace Tollgate.Webhooks.Delivery;

/// <summary>What one attempt came to: the endpoint's status code (none when it could not be reached) and what it said.</summary>
public sealed record AttemptOutcome(int? StatusCode, int LatencyMs, string? ResponseExcerpt, string? Error)
{
    public bool Succeeded => StatusCode is >= 200 and < 300;

    /// <summary>410 Gone: the receiver says the endpoint no longer exists, so it is disabled at once.</summary>
    public bool Gone => StatusCode == StatusCodes.Status410Gone;
}

/// <summary>
/// Makes one attempt: the message as <c>{"type", "timestamp", "data"}</c>, signed by Standard Webhooks with the
/// endpoint's secret (and its previous one while they overlap), posted with a timeout, redirects not followed. The
/// connection goes only where <see cref="OutboundPolicy"/> allows, judged on the address connected to at that moment,
/// so a name registered as public that resolves to a private address later gets nowhere.
/// </summary>
public sealed class WebhookSender : IDisposable
{
    const int MostExcerptBytes = 1024;

    readonly HttpClient _client;
    readonly SecretBox _secrets;
    readonly WebhookOptions _options;
    readonly TimeProvider _time;

    public WebhookSender(SecretBox secrets, IOptions<WebhookOptions> options, TimeProvider time)
    {
        _secrets = secrets;
        _options = options.Value;
        _time = time;
        _client = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = _options.Outbound().ConnectCallback(),
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            MaxConnectionsPerServer = Math.Max(1, _options.Concurrency), // endpoints sharing a host never wait on each other's connections
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan, // each attempt's own, on the injected clock
        };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("Tollgate-Webhooks/1.0");
    }

    /// <summary>The body sent for a message: its type, when it happened (ISO 8601, UTC) and its payload as stored.</summary>
    public static byte[] Body(string type, DateTimeOffset createdAt, string payload)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", type);
            writer.WriteString("timestamp", createdAt.UtcDateTime);
            writer.WritePropertyName("data");
            writer.WriteRawValue(payload, skipInputValidation: true);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public async Task<AttemptOutcome> SendAsync(DueDelivery delivery, CancellationToken stopping)
    {
        var now = _time.GetUtcNow();
        if (Keys(delivery.Endpoint, now) is not { Count: > 0 } keys)
            return new AttemptOutcome(null, 0, null, "the endpoint's secret does not open with this server's Secrets:Key; rotate it");
        var body = Body(delivery.Type, delivery.CreatedAt, delivery.Payload);
        var timestamp = now.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Endpoint.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TryAddWithoutValidation(StandardWebhooks.IdHeader, delivery.MessageId);
        request.Headers.TryAddWithoutValidation(StandardWebhooks.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(StandardWebhooks.SignatureHeader, StandardWebhooks.SignatureHeaderValue(keys, delivery.MessageId, timestamp, body));

        using var timeout = new CancellationTokenSource(_options.AttemptTimeout, _time);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stopping);
        var started = Stopwatch.GetTimestamp();
        int Elapsed() => (int)Math.Min(int.MaxValue, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        int? status = null;
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, both.Token);
            status = (int)response.StatusCode;
            var excerpt = await ExcerptAsync(response, both.Token);
            return new AttemptOutcome(status, Elapsed(), excerpt, null);
        }
        catch (IOException e) when (status is not null)
        {
            // The answer's status came, then its body broke off: the status is the answer.
            return new AttemptOutcome(status, Elapsed(), null, $"the answer's body broke off: {e.Message}");
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            return new AttemptOutcome(null, Elapsed(), null, $"no answer within {_options.AttemptTimeout.TotalSeconds:0.#} s");
        }
        catch (Exception e) when (e is HttpRequestException or IOException && !stopping.IsCancellationRequested)
        {
            var refused = e as OutboundRefusedException ?? e.InnerException as OutboundRefusedException;
            if (status is not null) return new AttemptOutcome(status, Elapsed(), null, e.Message);
            return new AttemptOutcome(null, Elapsed(), null, refused?.Message ?? e.Message);
        }
    }

    /// <summary>The secret's key, and the previous one's while it still overlaps.</summary>
    List<byte[]> Keys(WebhookEndpoint endpoint, DateTimeOffset now)
    {
        var keys = new List<byte[]>(2);
        var context = WebhookEndpointService.SecretContext(endpoint.Id);
        if (_secrets.Open(endpoint.SecretSealed, context) is { } current && StandardWebhooks.KeyOf(current) is { } key) keys.Add(key);
        if (endpoint.PreviousSecretUntil > now && endpoint.PreviousSecretSealed is { } sealedPrevious
            && _secrets.Open(sealedPrevious, context) is { } previous && StandardWebhooks.KeyOf(previous) is { } previousKey) keys.Add(previousKey);
        return keys;
    }

    /// <summary>At most the first kilobyte of the answer, as text.</summary>
    static async Task<string?> ExcerptAsync(HttpResponseMessage response, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[MostExcerptBytes];
        var read = 0;
        while (read < buffer.Length && await stream.ReadAsync(buffer.AsMemory(read), ct) is var n and > 0) read += n;
        if (read == 0) return null;
        var text = Encoding.UTF8.GetString(buffer, 0, read);
        return text.Length > 0 && text[^1] == '\uFFFD' ? text[..^1] : text; // a character cut in two
    }

    public void Dispose() => _client.Dispose();
}
