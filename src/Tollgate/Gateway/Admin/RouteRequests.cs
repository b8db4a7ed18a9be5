using System.ComponentModel.DataAnnotations;

namespace Tollgate.Gateway.Admin;

/// <summary>
/// The body of <c>PUT /gateway/providers/{name}</c>. <c>api_key</c> left out keeps the stored key, so a URL can change
/// without sending the secret again; an empty string removes it.
/// </summary>
public sealed record PutProviderRequest(
    [property: Required] string? Kind,
    string? BaseUrl = null,
    string? ApiKey = null,
    int? TimeoutSeconds = null,
    Dictionary<string, string>? Headers = null);

/// <summary>
/// The body of <c>PUT /gateway/models/{alias}</c>: either <c>provider</c> (and <c>model</c>) for one deployment, or
/// <c>deployments</c> with weights.
/// </summary>
public sealed record PutModelRequest(
    string? Type = null,
    string? Provider = null,
    string? Model = null,
    List<DeploymentRequest>? Deployments = null,
    List<string>? Fallbacks = null,
    string? Feature = null,
    string? PriceAs = null);

public sealed record DeploymentRequest([property: Required] string? Provider, string? Model = null, int? Weight = null, string? PriceAs = null);

/// <summary>Where a provider or model is defined: the configuration file wins over the admin API, which wins over the built-in defaults.</summary>
public enum RouteSource
{
    Configuration,
    Api,
    Default,
}

/// <summary>A provider as the admin API shows it: never the key itself, only its last four characters.</summary>
public sealed record ProviderView(
    string Name,
    string Kind,
    string BaseUrl,
    bool HasApiKey,
    string? ApiKeyLastFour,
    int TimeoutSeconds,
    IReadOnlyDictionary<string, string> Headers,
    RouteSource Source,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? UpdatedAt);

public sealed record ModelView(
    string Alias,
    string Type,
    IReadOnlyList<DeploymentView> Deployments,
    IReadOnlyList<string> Fallbacks,
    string? Feature,
    RouteSource Source,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? UpdatedAt);

public sealed record DeploymentView(string Provider, string Model, int Weight, string? PriceAs);
