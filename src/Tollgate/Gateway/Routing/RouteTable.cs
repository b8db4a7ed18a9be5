using Tollgate.Outbound;
using System.Collections.Frozen;

namespace Tollgate.Gateway.Routing;

/// <summary>
/// Every provider and model alias this node can serve, as one immutable snapshot; the registry swaps in a new one
/// when configuration or the admin API changes them. The sandbox provider is always present.
/// </summary>
public sealed class RouteTable
{
    RouteTable(FrozenDictionary<string, UpstreamProvider> providers, FrozenDictionary<string, ModelRoute> models)
    {
        Providers = providers;
        Models = models;
    }

    public FrozenDictionary<string, UpstreamProvider> Providers { get; }

    public FrozenDictionary<string, ModelRoute> Models { get; }

    public ModelRoute? Find(string model) => Models.GetValueOrDefault(model);

    /// <summary>Builds the table, or lists what is wrong with the definitions (unknown providers, bad URLs, empty aliases).</summary>
    public static (RouteTable Table, IReadOnlyList<string> Errors) Build(
        IReadOnlyDictionary<string, ProviderOptions> providerOptions,
        IReadOnlyDictionary<string, ModelOptions> modelOptions,
        OutboundPolicy policy)
    {
        var errors = new List<string>();
        var providers = new Dictionary<string, UpstreamProvider>(StringComparer.OrdinalIgnoreCase)
        {
            [UpstreamProvider.SandboxName] = UpstreamProvider.Sandbox,
        };
        foreach (var (name, options) in providerOptions)
        {
            var provider = ProviderFrom(name, options, policy, errors);
            if (provider is not null) providers[name] = provider;
        }

        var models = new Dictionary<string, ModelRoute>(StringComparer.OrdinalIgnoreCase);
        foreach (var (alias, options) in modelOptions)
        {
            var deployments = new List<Deployment>();
            var declared = options.Deployments.Count > 0
                ? options.Deployments
                : [new DeploymentOptions { Provider = options.Provider ?? "", Model = options.Model, PriceAs = options.PriceAs }];
            foreach (var d in declared)
            {
                if (!providers.TryGetValue(d.Provider, out var provider))
                {
                    errors.Add($"Gateway:Models:{alias}: provider '{d.Provider}' is not defined.");
                    continue;
                }

                if (d.Weight < 0) errors.Add($"Gateway:Models:{alias}: weights cannot be negative.");
                deployments.Add(new Deployment(provider, string.IsNullOrWhiteSpace(d.Model) ? alias : d.Model.Trim(), d.Weight, d.PriceAs ?? options.PriceAs));
            }

            if (options.Type is not ("chat" or "embedding" or "image")) errors.Add($"Gateway:Models:{alias}: type must be chat, embedding or image.");
            if (deployments.Count == 0) continue;
            models[alias] = new ModelRoute(alias, options.Type, deployments, options.Fallbacks, string.IsNullOrWhiteSpace(options.Feature) ? null : options.Feature.Trim());
        }

        foreach (var route in models.Values)
        {
            foreach (var fallback in route.Fallbacks)
            {
                if (!models.ContainsKey(fallback)) errors.Add($"Gateway:Models:{route.Alias}: fallback '{fallback}' is not a model alias.");
            }
        }

        return (new RouteTable(providers.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase), models.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase)), errors);
    }

    static UpstreamProvider? ProviderFrom(string name, ProviderOptions options, OutboundPolicy policy, List<string> errors)
    {
        var kind = UpstreamProvider.ParseKind(options.Kind);
        if (kind is null)
        {
            errors.Add($"Gateway:Providers:{name}:Kind: '{options.Kind}' is not openai, anthropic or sandbox.");
            return null;
        }

        if (kind == ProviderKind.Sandbox) return UpstreamProvider.Sandbox with { Name = name };
        var url = string.IsNullOrWhiteSpace(options.BaseUrl) ? UpstreamProvider.DefaultBaseUrl(kind.Value) : options.BaseUrl.Trim();
        if (OutboundUrl.Check(url, policy) is { } problem)
        {
            errors.Add($"Gateway:Providers:{name}:BaseUrl: {problem}");
            return null;
        }

        if (options.TimeoutSeconds is < 1 or > 3600) errors.Add($"Gateway:Providers:{name}:TimeoutSeconds must be between 1 and 3600.");
        return new UpstreamProvider(
            name, kind.Value, new Uri(url.EndsWith('/') ? url : url + "/"), string.IsNullOrWhiteSpace(options.ApiKey) ? null : options.ApiKey.Trim(),
            TimeSpan.FromSeconds(Math.Clamp(options.TimeoutSeconds, 1, 3600)), options.Headers)
        {
            MaxTokensParameter = options.MaxTokensParameter is { Length: > 0 } parameter ? parameter
                : new Uri(url).Host.Equals("api.openai.com", StringComparison.OrdinalIgnoreCase) ? "max_completion_tokens" : "max_tokens",
        };
    }
}
