using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Tollgate.IntegrationTests.Infrastructure;

/// <summary>One request a receiver got: its Standard Webhooks headers and its body.</summary>
public sealed record ReceivedWebhook(string Path, string? Id, string? Timestamp, string? Signature, string Body);

/// <summary>
/// An operator's (or a customer's) webhook receiver on loopback: records every request to <c>/hooks/{name}</c> and
/// answers each name with the status it is told to (200 unless told otherwise), and a short body.
/// </summary>
public sealed class FakeWebhookReceiver : LoopbackFake
{
    readonly ConcurrentDictionary<string, int> _status = new();
    readonly ConcurrentDictionary<string, TaskCompletionSource> _held = new();
    readonly ConcurrentDictionary<string, int> _waiting = new();

    /// <summary>How long each request waits before its answer: a slow receiver, so that attempts are under way when a node dies.</summary>
    public TimeSpan AnswerAfter { get; set; }

    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();

    public static async Task<FakeWebhookReceiver> StartAsync()
    {
        var receiver = new FakeWebhookReceiver();
        await receiver.ListenAsync(app => app.MapPost("/hooks/{name}", async (HttpContext http, string name) =>
        {
            if (receiver.AnswerAfter > TimeSpan.Zero) await Task.Delay(receiver.AnswerAfter);
            if (receiver._held.TryGetValue(name, out var gate))
            {
                receiver._waiting.AddOrUpdate(name, 1, (_, n) => n + 1);
                await gate.Task;
            }
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            var headers = http.Request.Headers;
            receiver.Received.Enqueue(new ReceivedWebhook(name, headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"], body));
            var status = receiver._status.GetValueOrDefault(name, StatusCodes.Status200OK);
            if (status == StatusCodes.Status204NoContent) return Results.NoContent();
            return Results.Text(status is >= 200 and < 300 ? "thanks" : $"refused with {status}", statusCode: status);
        }));
        return receiver;
    }

    public string Url(string name) => new Uri(BaseAddress, $"/hooks/{name}").ToString();

    /// <summary>From now on, <paramref name="name"/> answers <paramref name="status"/>.</summary>
    public void Answer(string name, int status) => _status[name] = status;

    /// <summary>From now on, requests to <paramref name="name"/> get no answer until <see cref="Let"/>: an endpoint that hangs.</summary>
    public void Hold(string name) => _held[name] = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Answers what <paramref name="name"/> holds, and what comes later at once.</summary>
    public void Let(string name)
    {
        if (_held.TryRemove(name, out var gate)) gate.TrySetResult();
    }

    /// <summary>How many requests to <paramref name="name"/> have been held so far.</summary>
    public int Held(string name) => _waiting.GetValueOrDefault(name);

    public IReadOnlyList<ReceivedWebhook> To(string name) => [.. Received.Where(r => r.Path == name)];
}
