// A fast OpenAI-compatible upstream for the gateway benchmark: canned answers, no work per request, so what the
// benchmark measures is the gateway in front of it. Usage: FakeUpstream <port>.
using System.Text;

var port = args.Length > 0 ? args[0] : "19001";
var builder = WebApplication.CreateSlimBuilder();
builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
builder.Logging.ClearProviders();
var app = builder.Build();

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
