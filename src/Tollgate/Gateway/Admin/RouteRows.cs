using Tollgate.Common;
using Tollgate.Secrets;

namespace Tollgate.Gateway.Admin;

/// <summary>A <c>gateway_providers</c> row. The API key is only ever here sealed.</summary>
sealed class ProviderRow
{
    public string Name { get; init; } = "";
    public string Kind { get; init; } = "";
    public string BaseUrl { get; init; } = "";
    public string? ApiKeyCiphertext { get; init; }
    public string? ApiKeyLastFour { get; init; }
    public int TimeoutSeconds { get; init; }
    public string Headers { get; init; } = "{}";
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>What a sealed key is bound to: a ciphertext copied onto another provider's row does not open.</summary>
    public static string SecretContext(string name) => $"gateway_provider:{name.ToLowerInvariant()}";

    /// <summary>The row for new options; a null <c>ApiKey</c> keeps <paramref name="current"/>'s sealed key, an empty one removes it.</summary>
    public static ProviderRow From(string name, ProviderOptions options, ProviderRow? current, SecretBox secrets, DateTimeOffset now)
    {
        var keep = options.ApiKey is null;
        var key = string.IsNullOrEmpty(options.ApiKey) ? null : options.ApiKey;
        return new ProviderRow
        {
            Name = name,
            Kind = options.Kind,
            BaseUrl = options.BaseUrl ?? "",
            ApiKeyCiphertext = keep ? current?.ApiKeyCiphertext : key is null ? null : secrets.Seal(key, SecretContext(name)),
            ApiKeyLastFour = keep ? current?.ApiKeyLastFour : LastFour(key),
            TimeoutSeconds = options.TimeoutSeconds,
            Headers = ApiJson.Serialize(options.Headers),
            CreatedAt = current?.CreatedAt ?? now,
            UpdatedAt = now,
        };
    }

    /// <summary>The options to route with; with no <paramref name="secrets"/> the key stays sealed (for checks that only need names).</summary>
    public ProviderOptions ToOptions(SecretBox? secrets) => new()
    {
        Kind = Kind,
        BaseUrl = BaseUrl,
        ApiKey = secrets is null || ApiKeyCiphertext is null ? null : secrets.Open(ApiKeyCiphertext, SecretContext(Name)),
        TimeoutSeconds = TimeoutSeconds,
        Headers = ReadHeaders(),
    };

    public ProviderView ToView() => new(
        Name, Kind, BaseUrl, ApiKeyCiphertext is not null, ApiKeyLastFour, TimeoutSeconds, ReadHeaders(), RouteSource.Api, CreatedAt, UpdatedAt);

    public static ProviderView View(string name, ProviderOptions options, RouteSource source) => new(
        name, options.Kind.Trim().ToLowerInvariant(),
        string.IsNullOrWhiteSpace(options.BaseUrl) && Routing.UpstreamProvider.ParseKind(options.Kind) is { } kind
            ? Routing.UpstreamProvider.DefaultBaseUrl(kind)
            : options.BaseUrl ?? "",
        !string.IsNullOrEmpty(options.ApiKey), LastFour(options.ApiKey), options.TimeoutSeconds, options.Headers, source, null, null);

    static string? LastFour(string? key) => string.IsNullOrEmpty(key) ? null : key.Length <= 8 ? "…" : key[^4..];

    Dictionary<string, string> ReadHeaders() =>
        new(ApiJson.Deserialize<Dictionary<string, string>>(Headers) ?? [], StringComparer.OrdinalIgnoreCase);
}

/// <summary>A <c>gateway_models</c> row: deployments and fallbacks as JSON.</summary>
sealed class ModelRow
{
    public string Alias { get; init; } = "";
    public string Type { get; init; } = "chat";
    public string? Feature { get; init; }
    public string Deployments { get; init; } = "[]";
    public string Fallbacks { get; init; } = "[]";
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public static ModelRow From(string alias, ModelOptions options, ModelRow? current, DateTimeOffset now) => new()
    {
        Alias = alias,
        Type = options.Type,
        Feature = options.Feature,
        Deployments = ApiJson.Serialize(options.Deployments.Select(d => new DeploymentView(d.Provider, d.Model ?? alias, d.Weight, d.PriceAs)).ToList()),
        Fallbacks = ApiJson.Serialize(options.Fallbacks),
        CreatedAt = current?.CreatedAt ?? now,
        UpdatedAt = now,
    };

    public ModelOptions ToOptions() => new()
    {
        Type = Type,
        Feature = Feature,
        Deployments = ReadDeployments().Select(d => new DeploymentOptions { Provider = d.Provider, Model = d.Model, Weight = d.Weight, PriceAs = d.PriceAs }).ToList(),
        Fallbacks = ApiJson.Deserialize<List<string>>(Fallbacks) ?? [],
    };

    public ModelView ToView() => new(Alias, Type, ReadDeployments(), ApiJson.Deserialize<List<string>>(Fallbacks) ?? [], Feature, RouteSource.Api, CreatedAt, UpdatedAt);

    public static ModelView View(string alias, ModelOptions options, RouteSource source)
    {
        var deployments = options.Deployments.Count > 0
            ? options.Deployments.Select(d => new DeploymentView(d.Provider, string.IsNullOrWhiteSpace(d.Model) ? alias : d.Model, d.Weight, d.PriceAs ?? options.PriceAs))
            : [new DeploymentView(options.Provider ?? "", string.IsNullOrWhiteSpace(options.Model) ? alias : options.Model, 1, options.PriceAs)];
        return new(alias, options.Type, deployments.ToList(), options.Fallbacks, options.Feature, source, null, null);
    }

    List<DeploymentView> ReadDeployments() => ApiJson.Deserialize<List<DeploymentView>>(Deployments) ?? [];
}
