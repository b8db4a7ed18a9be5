using Tollgate.Gateway.Pricing;

namespace Tollgate.Gateway;

/// <summary>The <c>Gateway</c> configuration section: providers, model aliases, prices and the knobs of the proxy.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>Upstreams by name. Providers can also be added over the admin API; a configured name wins.</summary>
    public Dictionary<string, ProviderOptions> Providers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Model aliases clients ask for, each served by one or more deployments.</summary>
    public Dictionary<string, ModelOptions> Models { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Price overrides and additions by model name, laid over the shipped price table.</summary>
    public Dictionary<string, ModelPrice> Prices { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Markup in percent on the provider's price, by plan code; <see cref="DefaultMarkupPercent"/> otherwise.</summary>
    public Dictionary<string, decimal> Markups { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public decimal DefaultMarkupPercent { get; set; }

    /// <summary>Attempts per request across deployments and fallbacks, the first included.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>
    /// The output tokens a chat request may use when it sets no <c>max_tokens</c>: reserved against its limits and sent
    /// upstream as its cap, so that no answer can outrun its reservation.
    /// </summary>
    public int DefaultMaxTokens { get; set; } = 4096;

    /// <summary>
    /// Whether prompts (and cut streams) are counted with the model's own tokenizer where one fits (OpenAI's o200k_base and
    /// cl100k_base). Each vocabulary, loaded the first time it is needed, costs about 60 MB; false keeps the estimate of
    /// four bytes to a token, which reserves more than a tokenizer would.
    /// </summary>
    public bool Tokenizers { get; set; } = true;

    /// <summary>How long a stream keeps being read after its client has gone, so the provider's own usage figures are billed.</summary>
    public int DrainAfterDisconnectSeconds { get; set; } = 60;

    /// <summary>Largest request body accepted, in bytes.</summary>
    public long MaxRequestBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>Largest answer read from a provider, in bytes: a whole body, or everything a stream sends.</summary>
    public long MaxResponseBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>
    /// Whether providers may be on loopback or private networks (a self-hosted Ollama or vLLM). Off by default: a
    /// provider URL, or the address its name resolves to, on such a network is refused. Link-local (cloud metadata),
    /// multicast and reserved addresses are refused either way.
    /// </summary>
    public bool AllowPrivateAddresses { get; set; }

    /// <summary>
    /// An HTTP proxy for calls to providers (<c>http://proxy.internal:3128</c>); none by default, and the environment's
    /// <c>HTTPS_PROXY</c> is not used. Through a proxy, each destination is resolved and checked before the request.
    /// </summary>
    public string? Proxy { get; set; }

    /// <summary>The rules every provider URL and connection is held to.</summary>
    public Outbound.OutboundPolicy Outbound() => new(AllowPrivateAddresses);

    /// <summary>Whether test-mode keys are served by the sandbox provider, whatever model they ask for.</summary>
    public bool SandboxForTestKeys { get; set; } = true;

    public ResponseCacheOptions Cache { get; set; } = new();
}

public sealed class ProviderOptions
{
    /// <summary><c>openai</c> (any OpenAI-compatible API), <c>anthropic</c> or <c>sandbox</c>.</summary>
    public string Kind { get; set; } = "openai";

    /// <summary>The API root, e.g. <c>https://api.openai.com/v1</c> or <c>http://localhost:11434/v1</c>.</summary>
    public string? BaseUrl { get; set; }

    public string? ApiKey { get; set; }

    public int TimeoutSeconds { get; set; } = 120;

    /// <summary>
    /// <c>max_tokens</c> or <c>max_completion_tokens</c>: the field an OpenAI-compatible provider caps output by, sent
    /// with the reserved amount when a client sets neither. By default the second for api.openai.com, else the first.
    /// </summary>
    public string? MaxTokensParameter { get; set; }

    /// <summary>Extra headers sent upstream, e.g. OpenRouter's <c>HTTP-Referer</c>.</summary>
    public Dictionary<string, string> Headers { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

public sealed class ModelOptions
{
    /// <summary>Shorthand for a single deployment: the provider, with <see cref="Model"/> defaulting to the alias.</summary>
    public string? Provider { get; set; }

    public string? Model { get; set; }

    public List<DeploymentOptions> Deployments { get; set; } = [];

    /// <summary>Aliases tried, in order, when every deployment of this one fails with a timeout, a 5xx or a 429.</summary>
    public List<string> Fallbacks { get; set; } = [];

    /// <summary>A boolean feature the customer's plan must enable to use this model (e.g. <c>premium_models</c>).</summary>
    public string? Feature { get; set; }

    /// <summary><c>chat</c>, <c>embedding</c> or <c>image</c>; shown in <c>/v1/models</c>.</summary>
    public string Type { get; set; } = "chat";

    /// <summary>The price table entry to use, when the upstream's model name is not in it (a self-hosted model, say).</summary>
    public string? PriceAs { get; set; }
}

public sealed class DeploymentOptions
{
    public string Provider { get; set; } = "";
    public string? Model { get; set; }
    public int Weight { get; set; } = 1;
    public string? PriceAs { get; set; }
}

public sealed class ResponseCacheOptions
{
    /// <summary>Plan codes whose requests are cached without asking; any request can opt in with <c>x-tollgate-cache: true</c>.</summary>
    public List<string> Plans { get; set; } = [];

    public int DefaultTtlSeconds { get; set; } = 300;

    public int MaxTtlSeconds { get; set; } = 86_400;

    public int MaxEntries { get; set; } = 10_000;

    /// <summary>The most the cached answers may hold in all, in bytes; the least recently used make room for new ones.</summary>
    public long MaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>What a cache hit is charged, as a fraction of the original request's charge: 0 (free, the default) to 1.</summary>
    public decimal HitChargeRatio { get; set; }
}
