using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tollgate.Gateway.Protocols;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Translation;

namespace Tollgate.Gateway;

/// <summary>Builds the HTTP request one deployment receives: its path, its authentication, and the body in its wire format.</summary>
public static class UpstreamRequests
{
    public const string AnthropicVersion = "2023-06-01";

    public static (HttpRequestMessage? Request, GatewayError? Error) Build(GatewayRequest request, Deployment deployment, HttpRequest client, int defaultMaxTokens)
    {
        var provider = deployment.Provider;
        JsonObject body;
        string path;
        if (provider.Protocol == GatewayProtocol.Anthropic)
        {
            if (request.Operation is GatewayOperation.Embeddings or GatewayOperation.ImageGenerations)
            {
                return (null, GatewayError.Invalid($"The model '{request.Model}' is served by Anthropic, which has no {request.OperationName} endpoint.", "model"));
            }

            path = "messages";
            body = request.Protocol == GatewayProtocol.Anthropic
                ? WithModel(request.Body, deployment.Model)
                : AnthropicForOpenAIClients.Request(request.Body, deployment.Model, defaultMaxTokens);
        }
        else
        {
            (path, body) = request.Operation switch
            {
                GatewayOperation.Embeddings => ("embeddings", WithModel(request.Body, deployment.Model)),
                GatewayOperation.ImageGenerations => ("images/generations", WithModel(request.Body, deployment.Model)),
                GatewayOperation.Messages => ("chat/completions", OpenAIForAnthropicClients.Request(request.Body, deployment.Model)),
                _ => ("chat/completions", WithOutputCap(WithUsageRequested(WithModel(request.Body, deployment.Model), request.Stream), request, provider, defaultMaxTokens)),
            };
        }

        var message = new HttpRequestMessage(HttpMethod.Post, provider.Endpoint(path))
        {
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, WireJson.Options)),
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (request.Stream) message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        Authenticate(message, provider, client, request.Protocol);
        return (message, null);
    }

    static void Authenticate(HttpRequestMessage message, UpstreamProvider provider, HttpRequest client, GatewayProtocol clientProtocol)
    {
        if (provider.Kind == ProviderKind.Anthropic)
        {
            if (provider.ApiKey is not null) message.Headers.TryAddWithoutValidation("x-api-key", provider.ApiKey);
            var version = clientProtocol == GatewayProtocol.Anthropic ? client.Headers["anthropic-version"].ToString() : "";
            message.Headers.TryAddWithoutValidation("anthropic-version", version.Length > 0 ? version : AnthropicVersion);
            var beta = clientProtocol == GatewayProtocol.Anthropic ? client.Headers["anthropic-beta"].ToString() : "";
            if (beta.Length > 0) message.Headers.TryAddWithoutValidation("anthropic-beta", beta);
        }
        else if (provider.ApiKey is not null)
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", provider.ApiKey);
        }

        foreach (var (name, value) in provider.Headers) message.Headers.TryAddWithoutValidation(name, value);
    }

    static JsonObject WithModel(JsonObject body, string model)
    {
        body["model"] = model;
        return body;
    }

    /// <summary>
    /// An answer is capped at what was reserved for it: the default goes upstream when the client set no cap, in the
    /// field this provider reads, and only that one (an earlier attempt at another provider may have set the other).
    /// </summary>
    static JsonObject WithOutputCap(JsonObject body, GatewayRequest request, UpstreamProvider provider, int defaultMaxTokens)
    {
        if (request.MaxOutputTokens is not null) return body;
        body.Remove("max_tokens");
        body.Remove("max_completion_tokens");
        body[provider.MaxTokensParameter] = defaultMaxTokens;
        return body;
    }

    /// <summary>Streams always ask for usage, whatever the client asked, so every stream can be billed.</summary>
    static JsonObject WithUsageRequested(JsonObject body, bool stream)
    {
        if (!stream) return body;
        if (body["stream_options"] is JsonObject options) options["include_usage"] = true;
        else body["stream_options"] = new JsonObject { ["include_usage"] = true };
        return body;
    }
}
