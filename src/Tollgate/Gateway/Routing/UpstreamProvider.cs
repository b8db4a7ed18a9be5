using Tollgate.Gateway.Protocols;

namespace Tollgate.Gateway.Routing;

public enum ProviderKind
{
    OpenAI,
    Anthropic,
    Sandbox,
}

/// <summary>A model provider Tollgate calls: where it is, how to authenticate, how long to wait.</summary>
public sealed record UpstreamProvider(
    string Name,
    ProviderKind Kind,
    Uri BaseUri,
    string? ApiKey,
    TimeSpan Timeout,
    IReadOnlyDictionary<string, string> Headers)
{
    public const string SandboxName = "sandbox";

    /// <summary>
    /// The body field that caps an OpenAI-compatible answer's output, sent with the reserved amount when the client set
    /// none: <c>max_completion_tokens</c> for OpenAI itself (its reasoning models refuse <c>max_tokens</c>),
    /// <c>max_tokens</c> for other OpenAI-compatible servers, which mostly know only that one.
    /// </summary>
    public string MaxTokensParameter { get; init; } = "max_tokens";

    /// <summary>The wire format the provider speaks; the sandbox speaks OpenAI's.</summary>
    public GatewayProtocol Protocol => Kind == ProviderKind.Anthropic ? GatewayProtocol.Anthropic : GatewayProtocol.OpenAI;

    public static UpstreamProvider Sandbox { get; } = new(
        SandboxName, ProviderKind.Sandbox, new Uri("http://sandbox.tollgate.invalid/v1/"), null, TimeSpan.FromSeconds(30),
        new Dictionary<string, string>());

    public static string DefaultBaseUrl(ProviderKind kind) => kind switch
    {
        ProviderKind.Anthropic => "https://api.anthropic.com/v1",
        ProviderKind.Sandbox => Sandbox.BaseUri.ToString(),
        _ => "https://api.openai.com/v1",
    };

    public static ProviderKind? ParseKind(string? kind) => kind?.Trim().ToLowerInvariant() switch
    {
        "openai" or "openai-compatible" or "openai_compatible" => ProviderKind.OpenAI,
        "anthropic" => ProviderKind.Anthropic,
        "sandbox" => ProviderKind.Sandbox,
        _ => null,
    };

    /// <summary>The endpoint for a path under the API root (<c>chat/completions</c>, <c>messages</c>…).</summary>
    public Uri Endpoint(string path) => new(BaseUri, path);
}

/// <summary>One place a model alias can be served: a provider and the model name it knows.</summary>
public sealed record Deployment(UpstreamProvider Provider, string Model, int Weight, string? PriceAs);

/// <summary>A model clients ask for by name, with where it can be served, what to fall back to, and who may use it.</summary>
public sealed record ModelRoute(
    string Alias,
    string Type,
    IReadOnlyList<Deployment> Deployments,
    IReadOnlyList<string> Fallbacks,
    string? Feature);
