using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tollgate.Gateway.Translation;

namespace Tollgate.Gateway.Sandbox;

/// <summary>
/// The sandbox provider: an in-process model that speaks OpenAI's wire format, answering chat completions (streamed or
/// not, tool calls and JSON mode included), embeddings and images deterministically from the request, offline.
/// Test-mode keys and the demo use it. Every answer is marked: a <c>[sandbox]</c> prefix, the
/// <c>tollgate-sandbox</c> fingerprint and an <c>x-tollgate-sandbox: true</c> header.
/// </summary>
public sealed class SandboxHandler(TimeProvider time) : HttpMessageHandler
{
    public const string Fingerprint = "tollgate-sandbox";

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var path = request.RequestUri?.AbsolutePath ?? "";
        JsonObject body;
        try
        {
            body = request.Content is null ? [] : JsonNode.Parse(await request.Content.ReadAsStringAsync(ct)) as JsonObject ?? [];
        }
        catch (JsonException)
        {
            return Reply(HttpStatusCode.BadRequest, new JsonObject { ["error"] = new JsonObject { ["message"] = "The sandbox could not parse the request body.", ["type"] = "invalid_request_error" } });
        }

        return path switch
        {
            _ when path.EndsWith("/chat/completions", StringComparison.Ordinal) => Chat(body),
            _ when path.EndsWith("/embeddings", StringComparison.Ordinal) => Reply(HttpStatusCode.OK, SandboxModel.Embeddings(body)),
            _ when path.EndsWith("/images/generations", StringComparison.Ordinal) => Reply(HttpStatusCode.OK, SandboxModel.Images(body, Json.UnixNow(time))),
            _ => Reply(HttpStatusCode.NotFound, new JsonObject { ["error"] = new JsonObject { ["message"] = $"The sandbox has no endpoint {path}.", ["type"] = "invalid_request_error" } }),
        };
    }

    HttpResponseMessage Chat(JsonObject body)
    {
        var answer = SandboxModel.Answer(body);
        var created = Json.UnixNow(time);
        var model = Json.Str(body["model"]) ?? "sandbox";
        var id = "chatcmpl-sandbox-" + Hash(body.ToJsonString(Protocols.WireJson.Options))[..16];
        if (Json.Bool(body["stream"]) != true) return Reply(HttpStatusCode.OK, SandboxModel.Completion(answer, id, model, created));

        var stream = new StringBuilder();
        foreach (var chunk in SandboxModel.Chunks(answer, id, model, created, Json.Bool(body["stream_options"]?["include_usage"]) == true))
        {
            stream.Append("data: ").Append(chunk.ToJsonString(Protocols.WireJson.Options)).Append("\n\n");
        }

        stream.Append("data: [DONE]\n\n");
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(stream.ToString(), Encoding.UTF8, "text/event-stream") };
        response.Headers.Add("x-tollgate-sandbox", "true");
        return response;
    }

    static HttpResponseMessage Reply(HttpStatusCode status, JsonNode body)
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(body.ToJsonString(Protocols.WireJson.Options), Encoding.UTF8, "application/json") };
        response.Headers.Add("x-tollgate-sandbox", "true");
        return response;
    }

    internal static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
