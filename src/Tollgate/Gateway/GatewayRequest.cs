using System.Text.Json;
using System.Text.Json.Nodes;
using Tollgate.Gateway.Protocols;
using Tollgate.Gateway.Translation;

namespace Tollgate.Gateway;

/// <summary>A client's request as the gateway understood it: the parsed body and what decides routing and billing.</summary>
public sealed record GatewayRequest(
    GatewayOperation Operation,
    GatewayProtocol Protocol,
    JsonObject Body,
    string Model,
    bool Stream,
    bool ClientWantsUsage,
    string? EndUser,
    long BodyBytes)
{
    public string OperationName => Operation switch
    {
        GatewayOperation.Messages => "messages",
        GatewayOperation.Embeddings => "embeddings",
        GatewayOperation.ImageGenerations => "images.generations",
        _ => "chat.completions",
    };

    public static async Task<(GatewayRequest? Request, GatewayError? Error)> ReadAsync(HttpContext context, GatewayOperation operation, long maxBytes)
    {
        var protocol = operation == GatewayOperation.Messages ? GatewayProtocol.Anthropic : GatewayProtocol.OpenAI;
        var length = context.Request.ContentLength;
        if (length > maxBytes) return (null, new GatewayError(413, "request_too_large", $"The request body is larger than {maxBytes} bytes."));

        JsonObject body;
        long bytes;
        try
        {
            using var buffer = new MemoryStream(length is > 0 and < 1 << 20 ? (int)length.Value : 4096);
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            bytes = buffer.Length;
            if (bytes > maxBytes) return (null, new GatewayError(413, "request_too_large", $"The request body is larger than {maxBytes} bytes."));
            if (bytes == 0) return (null, GatewayError.Invalid("The request body is empty; send a JSON object."));
            if (JsonNode.Parse(buffer.GetBuffer().AsSpan(0, (int)bytes)) is not JsonObject parsed)
            {
                return (null, GatewayError.Invalid("The request body must be a JSON object."));
            }

            body = parsed;
        }
        catch (JsonException e)
        {
            return (null, GatewayError.Invalid($"The request body is not valid JSON: {e.Message}"));
        }

        var model = Json.Str(body["model"]);
        if (string.IsNullOrWhiteSpace(model)) return (null, GatewayError.Invalid("'model' is required.", "model"));
        if (Check(operation, body) is { } invalid) return (null, invalid);

        var stream = operation is GatewayOperation.ChatCompletions or GatewayOperation.Messages && Json.Bool(body["stream"]) == true;
        var wantsUsage = Json.Bool(body["stream_options"]?["include_usage"]) == true;
        var endUser = context.Request.Headers[GatewayCaller.EndUserHeader].ToString() is { Length: > 0 } header ? header
            : protocol == GatewayProtocol.Anthropic ? Json.Str(body["metadata"]?["user_id"]) : Json.Str(body["user"]);
        return (new GatewayRequest(operation, protocol, body, model, stream, wantsUsage, endUser, bytes), null);
    }

    static GatewayError? Check(GatewayOperation operation, JsonObject body) => operation switch
    {
        GatewayOperation.ChatCompletions when body["messages"] is not JsonArray { Count: > 0 } =>
            GatewayError.Invalid("'messages' must be a non-empty array.", "messages"),
        GatewayOperation.Messages when body["messages"] is not JsonArray { Count: > 0 } =>
            GatewayError.Invalid("messages: must be a non-empty array.", "messages"),
        GatewayOperation.Messages when Json.Long(body["max_tokens"]) is not > 0 =>
            GatewayError.Invalid("max_tokens: Field required.", "max_tokens"),
        GatewayOperation.Embeddings when body["input"] is null =>
            GatewayError.Invalid("'input' is required.", "input"),
        GatewayOperation.ImageGenerations when Json.Str(body["prompt"]) is null =>
            GatewayError.Invalid("'prompt' is required.", "prompt"),
        _ => null,
    };
}
