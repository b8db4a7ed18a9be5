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
    /// <summary>Largest <c>max_tokens</c> taken; larger ones are refused before they can enter a sum.</summary>
    public const long MaxOutputTokensLimit = 10_000_000;
    public const int MaxChoices = 128;
    public const int MaxBestOf = 20;
    public const int MaxImages = 10;

    /// <summary>The output cap the client set (<c>max_completion_tokens</c> or <c>max_tokens</c>), or null.</summary>
    public long? MaxOutputTokens { get; init; }

    /// <summary>How many answers the provider generates: <c>n</c>, or <c>best_of</c> when larger; images asked for on the images route.</summary>
    public int Generations { get; init; } = 1;

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
            var raw = buffer.GetBuffer().AsSpan(0, (int)bytes);
            if (JsonNode.Parse(raw, documentOptions: GatewayBodyShape.Parsing) is not JsonObject parsed)
            {
                return (null, GatewayError.Invalid("The request body must be a JSON object."));
            }

            body = parsed;
            if (GatewayBodyShape.Problem(operation, body, raw) is { } shape) return (null, GatewayError.Invalid(shape.Message, shape.Param));
        }
        catch (JsonException e)
        {
            return (null, GatewayError.Invalid($"The request body is not valid JSON: {e.Message}"));
        }

        var model = Json.Str(body["model"]);
        if (string.IsNullOrWhiteSpace(model)) return (null, GatewayError.Invalid("'model' is required.", "model"));
        if (Check(operation, body) is { } invalid) return (null, invalid);
        var (limits, badLimit) = Limits(operation, body);
        if (badLimit is not null) return (null, badLimit);

        var stream = operation is GatewayOperation.ChatCompletions or GatewayOperation.Messages && Json.Bool(body["stream"]) == true;
        var wantsUsage = Json.Bool(body["stream_options"]?["include_usage"]) == true;
        var endUser = context.Request.Headers[GatewayCaller.EndUserHeader].ToString() is { Length: > 0 } header ? header
            : protocol == GatewayProtocol.Anthropic ? Json.Str(body["metadata"]?["user_id"]) : Json.Str(body["user"]);
        return (new GatewayRequest(operation, protocol, body, model, stream, wantsUsage, endUser, bytes)
        {
            MaxOutputTokens = limits.MaxOutputTokens,
            Generations = limits.Generations,
        }, null);
    }

    /// <summary>The numbers that decide the worst case, each a whole number in its range, or the error naming the one that is not.</summary>
    static ((long? MaxOutputTokens, int Generations), GatewayError?) Limits(GatewayOperation operation, JsonObject body)
    {
        if (operation == GatewayOperation.ImageGenerations)
        {
            var (images, badImages) = WholeNumber(body, "n", MaxImages);
            return ((null, (int)(images ?? 1)), badImages);
        }

        if (operation == GatewayOperation.Embeddings) return ((null, 1), null);
        var (completion, badCompletion) = WholeNumber(body, "max_completion_tokens", MaxOutputTokensLimit);
        if (badCompletion is not null) return (default, badCompletion);
        var (max, badMax) = WholeNumber(body, "max_tokens", MaxOutputTokensLimit);
        if (badMax is not null) return (default, badMax);
        if (operation == GatewayOperation.Messages) return ((max, 1), null);

        var (n, badN) = WholeNumber(body, "n", MaxChoices);
        if (badN is not null) return (default, badN);
        var (bestOf, badBestOf) = WholeNumber(body, "best_of", MaxBestOf);
        if (badBestOf is not null) return (default, badBestOf);
        return ((completion ?? max, (int)Math.Max(n ?? 1, bestOf ?? 1)), null);
    }

    /// <summary>An optional field that must be a whole number from 1 to <paramref name="max"/> when present.</summary>
    static (long? Value, GatewayError? Error) WholeNumber(JsonObject body, string name, long max)
    {
        var node = body[name];
        if (node is null) return (null, null);
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<long>(out var n) && n >= 1 && n <= max)
        {
            return (n, null);
        }

        return (null, GatewayError.Invalid($"'{name}' must be a whole number from 1 to {max:N0}.", name));
    }

    static GatewayError? Check(GatewayOperation operation, JsonObject body) => operation switch
    {
        GatewayOperation.ChatCompletions when body["messages"] is not JsonArray { Count: > 0 } =>
            GatewayError.Invalid("'messages' must be a non-empty array.", "messages"),
        GatewayOperation.Messages when body["messages"] is not JsonArray { Count: > 0 } =>
            GatewayError.Invalid("messages: must be a non-empty array.", "messages"),
        GatewayOperation.Messages when body["max_tokens"] is null =>
            GatewayError.Invalid("max_tokens: Field required.", "max_tokens"),
        GatewayOperation.Embeddings when body["input"] is null =>
            GatewayError.Invalid("'input' is required.", "input"),
        GatewayOperation.ImageGenerations when Json.Str(body["prompt"]) is null =>
            GatewayError.Invalid("'prompt' is required.", "prompt"),
        _ => null,
    };
}
