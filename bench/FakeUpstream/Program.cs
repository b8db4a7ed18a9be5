// A fast OpenAI-compatible upstream for the gateway benchmark: canned answers, no work per request, so what the
// benchmark measures is the gateway in front of it. Usage: FakeUpstream <port>.
// With a second argument, FakeUpstream <port> <upstream url>, it is instead the floor the gateway is compared with:
// the least a .NET proxy can do (read the body, forward it with HttpClient, copy the answer back), with no checks at all.
using System.Text;

var port = args.Length > 0 ? args[0] : "19001";
var builder = WebApplication.CreateSlimBuilder();
builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
builder.Logging.ClearProviders();
var app = builder.Build();

if (args.Length > 1)
{
    var target = new Uri(args[1]);
    var client = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false });
    app.MapPost("/v1/chat/completions", async (HttpContext context) =>
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(target, "/v1/chat/completions"))
        {
            Content = new ByteArrayContent(body.GetBuffer(), 0, (int)body.Length),
        };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TryAddWithoutValidation("Authorization", context.Request.Headers.Authorization.ToString());
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        context.Response.ContentType = response.Content.Headers.ContentType?.ToString();
        await using var stream = await response.Content.ReadAsStreamAsync(context.RequestAborted);
        await stream.CopyToAsync(context.Response.Body, context.RequestAborted);
    });
    app.Run();
    return;
}

var completion = Encoding.UTF8.GetBytes(
    """{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the benchmark upstream."},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19}}""");
var chunks = new StringBuilder();
foreach (var piece in new[] { "Hello", " from", " the", " benchmark", " upstream." })
{
    chunks.Append($$"""data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"{{piece}}"},"finish_reason":null}]}""").Append("\n\n");
}

chunks.Append("""data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}""").Append("\n\n");
var usage = Encoding.UTF8.GetBytes("""data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19}}""" + "\n\n");
var stream = Encoding.UTF8.GetBytes(chunks.ToString());
var done = "data: [DONE]\n\n"u8.ToArray();

app.MapPost("/v1/chat/completions", async (HttpContext context) =>
{
    using var reader = new StreamReader(context.Request.Body);
    var body = await reader.ReadToEndAsync();
    if (!body.Contains("\"stream\":true", StringComparison.Ordinal))
    {
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = completion.Length;
        await context.Response.Body.WriteAsync(completion);
        return;
    }

    context.Response.ContentType = "text/event-stream";
    await context.Response.Body.WriteAsync(stream);
    if (body.Contains("\"include_usage\":true", StringComparison.Ordinal)) await context.Response.Body.WriteAsync(usage);
    await context.Response.Body.WriteAsync(done);
});

app.Run();
