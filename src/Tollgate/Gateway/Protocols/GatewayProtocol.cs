namespace Tollgate.Gateway.Protocols;

/// <summary>The wire format a client speaks to Tollgate, or an upstream speaks to Tollgate.</summary>
public enum GatewayProtocol
{
    OpenAI,
    Anthropic,
}

/// <summary>What a request asks for, which decides the upstream path and how usage is priced.</summary>
public enum GatewayOperation
{
    ChatCompletions,
    Messages,
    Embeddings,
    ImageGenerations,
}
