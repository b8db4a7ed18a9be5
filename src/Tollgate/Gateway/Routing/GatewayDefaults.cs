namespace Tollgate.Gateway.Routing;

/// <summary>
/// The providers and models a fresh install knows when its configuration names none: OpenAI and Anthropic with their
/// keys from <c>OPENAI_API_KEY</c> and <c>ANTHROPIC_API_KEY</c>, and a few of their models, the larger ones behind the
/// <c>premium_models</c> feature. Test-mode keys are served by the sandbox, so the demo works offline with these.
/// </summary>
public static class GatewayDefaults
{
    public const string PremiumFeature = "premium_models";

    public static Dictionary<string, ProviderOptions> Providers() => new(StringComparer.OrdinalIgnoreCase)
    {
        ["openai"] = new() { Kind = "openai", BaseUrl = "https://api.openai.com/v1", ApiKey = Environment.GetEnvironmentVariable("OPENAI_API_KEY") },
        ["anthropic"] = new() { Kind = "anthropic", BaseUrl = "https://api.anthropic.com/v1", ApiKey = Environment.GetEnvironmentVariable("ANTHROPIC_API_KEY") },
    };

    public static Dictionary<string, ModelOptions> Models() => new(StringComparer.OrdinalIgnoreCase)
    {
        ["gpt-4o-mini"] = new() { Provider = "openai", Fallbacks = ["claude-haiku-4-5"] },
        ["gpt-4.1"] = new() { Provider = "openai", Feature = PremiumFeature },
        ["claude-haiku-4-5"] = new() { Provider = "anthropic" },
        ["claude-sonnet-4-5"] = new() { Provider = "anthropic", Feature = PremiumFeature },
        ["text-embedding-3-small"] = new() { Provider = "openai", Type = "embedding" },
        ["dall-e-3"] = new() { Provider = "openai", Type = "image", Feature = PremiumFeature },
    };
}
