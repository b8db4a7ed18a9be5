// bench/WebhookDelivery: outbound webhook delivery from a running Tollgate to a fast receiver on loopback, on the
// Tollgate's own database. Registers an endpoint over the API, then writes events to the outbox as billing does (this
// process, on the same database) and times their arrival at the receiver (this process too):
//   drain N      N events written at once: messages delivered per second, first write to last arrival
//   rate R S     R events a second for S seconds: the delay from each event's commit to its arrival, p50/p99/max
//   dotnet run -c Release --project bench/WebhookDelivery -- <connection string> <tollgate url> <admin key> drain 50000
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tollgate.Common;
using Tollgate.Storage;

var (connectionString, tollgate, adminKey, mode) = (args[0], new Uri(args[1]), args[2], args[3]);
var arrived = new ConcurrentDictionary<string, long>(); // webhook-id → Stopwatch timestamp of its first arrival
long duplicates = 0;

var builder = WebApplication.CreateSlimBuilder();
builder.WebHost.UseUrls("http://127.0.0.1:0");
builder.Logging.ClearProviders();
var receiver = builder.Build();
receiver.MapPost("/hook", (HttpContext http) =>
{
    var id = http.Request.Headers["webhook-id"].ToString();
    if (!arrived.TryAdd(id, Stopwatch.GetTimestamp())) Interlocked.Increment(ref duplicates);
    return Results.Ok();
});
await receiver.StartAsync();
var hook = new Uri(new Uri(receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()), "/hook");

using var http = new HttpClient { BaseAddress = tollgate };
http.DefaultRequestHeaders.Authorization = new("Bearer", adminKey);
var testKey = await Created(await http.PostAsJsonAsync("/api/v1/keys", new { name = "bench hooks", kind = "admin", mode = "test" }), "secret");
http.DefaultRequestHeaders.Authorization = new("Bearer", testKey);
var endpointId = await Created(await http.PostAsJsonAsync("/api/v1/webhook-endpoints", new { url = hook.ToString(), events = new[] { "invoice.*" } }), "id");

await using var database = new Database(ConnectionTarget.Parse(connectionString));
var written = new ConcurrentDictionary<string, long>(); // message id → Stopwatch timestamp of its commit

async Task WriteAsync(int count)
{
    var messages = Enumerable.Range(0, count)
        .Select(i => new OutboxMessage(Ids.New(Outbox.MessagePrefix, TimeProvider.System), "invoice.paid", null, new { id = $"in_{i}", total = 2900, currency = "USD" }, DateTimeOffset.UtcNow))
        .ToList();
    await database.InTransactionAsync(async (_, tx) =>
    {
        await Outbox.WriteManyAsync(tx, messages);
        return 0;
    });
    var committed = Stopwatch.GetTimestamp();
    foreach (var m in messages) written[m.Id] = committed;
}

async Task AllArrivedAsync(TimeSpan within)
{
    var waited = Stopwatch.StartNew();
    while (written.Keys.Any(id => !arrived.ContainsKey(id)))
    {
        if (waited.Elapsed > within) throw new TimeoutException($"{written.Keys.Count(id => !arrived.ContainsKey(id))} of {written.Count} messages did not arrive within {within}.");
        await Task.Delay(10);
    }
}

if (mode == "drain")
{
    var count = int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture);
    var started = Stopwatch.GetTimestamp();
    for (var done = 0; done < count; done += 1_000) await WriteAsync(Math.Min(1_000, count - done));
    await AllArrivedAsync(TimeSpan.FromMinutes(5));
    var seconds = Stopwatch.GetElapsedTime(started, arrived.Values.Max()).TotalSeconds;
    Console.WriteLine($"drain: {count:N0} messages in {seconds:0.00} s = {count / seconds:N0} messages/s delivered; duplicates {duplicates}");
}
else
{
    var (rate, seconds) = (int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture), int.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture));
    const int TicksPerSecond = 100;
    using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / TicksPerSecond));
    var clock = Stopwatch.StartNew();
    var sent = 0;
    while (clock.Elapsed < TimeSpan.FromSeconds(seconds) && await timer.WaitForNextTickAsync())
    {
        var due = (int)(rate * clock.Elapsed.TotalSeconds) - sent; // paced by the clock, not by the ticks that came
        if (due <= 0) continue;
        await WriteAsync(due);
        sent += due;
    }

    await AllArrivedAsync(TimeSpan.FromMinutes(2));
    var delays = written.Select(w => Stopwatch.GetElapsedTime(w.Value, arrived[w.Key]).TotalMilliseconds).Order().ToArray();
    double At(double q) => delays[Math.Min(delays.Length - 1, (int)(q * delays.Length))];
    Console.WriteLine($"rate: {sent:N0} messages at {sent / (double)seconds:N0}/s; outbox commit to arrival p50 {At(0.5):0.0} ms, p99 {At(0.99):0.0} ms, max {delays[^1]:0.0} ms; duplicates {duplicates}");
}

(await http.DeleteAsync($"/api/v1/webhook-endpoints/{endpointId}")).EnsureSuccessStatusCode(); // the next run's events are not this receiver's
await receiver.StopAsync();

static async Task<string> Created(HttpResponseMessage response, string field)
{
    var body = await response.Content.ReadAsStringAsync();
    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{response.StatusCode}: {body}");
    return JsonDocument.Parse(body).RootElement.GetProperty(field).GetString()!;
}
