using Tollgate.Outbound;
using System.Text.RegularExpressions;
using Tollgate.Common;
using Tollgate.Gateway.Routing;

namespace Tollgate.Gateway.Admin;

/// <summary>
/// Checks provider and model definitions sent over the admin API and turns them into the same options the
/// configuration file gives, so both go through one <see cref="RouteTable.Build"/>.
/// </summary>
public static partial class RouteRules
{
    public const int MaxHeaders = 20;
    public const int MaxDeployments = 20;
    public const int MaxFallbacks = 10;

    /// <summary>Header names that carry credentials belong in <c>api_key</c>, which is encrypted; these are stored in the clear.</summary>
    static readonly HashSet<string> ForbiddenHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "authorization", "proxy-authorization", "x-api-key", "api-key", "cookie",
        "host", "content-length", "content-type", "transfer-encoding", "connection", "anthropic-version",
    };

    /// <summary>The provider as options; its <c>ApiKey</c> is the request's: null to keep the stored key, empty to remove it.</summary>
    public static Result<ProviderOptions> Provider(string name, PutProviderRequest request, OutboundPolicy policy)
    {
        var check = new Validation().Code("name", name);
        if (name.Equals(UpstreamProvider.SandboxName, StringComparison.OrdinalIgnoreCase)) check.Add("name", "'sandbox' is built in.");
        var kind = UpstreamProvider.ParseKind(request.Kind);
        if (kind is null) check.Add("kind", "must be openai (any OpenAI-compatible API), anthropic or sandbox.");
        var baseUrl = string.IsNullOrWhiteSpace(request.BaseUrl)
            ? kind is { } k ? UpstreamProvider.DefaultBaseUrl(k) : ""
            : request.BaseUrl.Trim();
        if (kind is not null && OutboundUrl.Check(baseUrl, policy) is { } problem) check.Add("base_url", problem);
        if (request.TimeoutSeconds is { } timeout) check.Range("timeout_seconds", timeout, 1, 3600);
        if (request.ApiKey is { Length: > 0 } key && (key.Length > 2000 || key.Any(char.IsWhiteSpace))) check.Add("api_key", "must be at most 2000 characters with no spaces or line breaks.");
        CheckHeaders(request.Headers, check);
        if (check.Failed) return check.ToError();

        return new ProviderOptions
        {
            Kind = kind!.Value.ToString().ToLowerInvariant(),
            BaseUrl = baseUrl,
            ApiKey = request.ApiKey,
            TimeoutSeconds = request.TimeoutSeconds ?? 120,
            Headers = new Dictionary<string, string>(request.Headers ?? [], StringComparer.OrdinalIgnoreCase),
        };
    }

    /// <summary>Checks a model against the providers and models it would be served with; returns it with every deployment spelled out.</summary>
    public static Result<ModelOptions> Model(
        string alias, PutModelRequest request, IReadOnlySet<string> providers, IReadOnlySet<string> models)
    {
        var check = new Validation();
        if (!AliasShape().IsMatch(alias)) check.Add("alias", "must be 1 to 128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit.");
        var type = request.Type ?? "chat";
        check.OneOf("type", type, ["chat", "embedding", "image"]);
        if (request.Feature is not null) check.Code("feature", request.Feature);

        var deployments = Deployments(alias, request, check);
        for (var i = 0; i < deployments.Count; i++)
        {
            if (!providers.Contains(deployments[i].Provider)) check.Add($"deployments[{i}].provider", $"no provider '{deployments[i].Provider}' is defined.");
        }

        var fallbacks = request.Fallbacks ?? [];
        if (fallbacks.Count > MaxFallbacks) check.Add("fallbacks", $"at most {MaxFallbacks}.");
        foreach (var fallback in fallbacks)
        {
            if (fallback.Equals(alias, StringComparison.OrdinalIgnoreCase)) check.Add("fallbacks", "a model cannot fall back to itself.");
            else if (!models.Contains(fallback)) check.Add("fallbacks", $"'{fallback}' is not a model alias.");
        }

        if (check.Failed) return check.ToError();
        return new ModelOptions { Type = type, Deployments = deployments, Fallbacks = fallbacks, Feature = request.Feature };
    }

    static List<DeploymentOptions> Deployments(string alias, PutModelRequest request, Validation check)
    {
        if (request.Deployments is { Count: > 0 } list)
        {
            if (request.Provider is not null) check.Add("provider", "give either provider or deployments, not both.");
            if (list.Count > MaxDeployments) check.Add("deployments", $"at most {MaxDeployments}.");
            var result = new List<DeploymentOptions>();
            for (var i = 0; i < list.Count; i++)
            {
                var d = list[i];
                if (string.IsNullOrWhiteSpace(d.Provider)) check.Add($"deployments[{i}].provider", "is required.");
                if (d.Weight is { } weight) check.Range($"deployments[{i}].weight", weight, 0, 1000);
                check.Text($"deployments[{i}].model", d.Model, required: false, 200);
                result.Add(new DeploymentOptions
                {
                    Provider = d.Provider?.Trim() ?? "",
                    Model = string.IsNullOrWhiteSpace(d.Model) ? alias : d.Model.Trim(),
                    Weight = d.Weight ?? 1,
                    PriceAs = d.PriceAs ?? request.PriceAs,
                });
            }

            if (result.All(d => d.Weight == 0)) check.Add("deployments", "at least one deployment needs a weight above 0.");
            return result;
        }

        if (string.IsNullOrWhiteSpace(request.Provider))
        {
            check.Add("provider", "give a provider, or deployments.");
            return [];
        }

        check.Text("model", request.Model, required: false, 200);
        return
        [
            new DeploymentOptions
            {
                Provider = request.Provider.Trim(),
                Model = string.IsNullOrWhiteSpace(request.Model) ? alias : request.Model.Trim(),
                PriceAs = request.PriceAs,
            },
        ];
    }

    static void CheckHeaders(Dictionary<string, string>? headers, Validation check)
    {
        if (headers is null) return;
        if (headers.Count > MaxHeaders) check.Add("headers", $"at most {MaxHeaders}.");
        foreach (var (name, value) in headers)
        {
            if (!HeaderNameShape().IsMatch(name)) check.Add("headers", $"'{name}' is not a valid header name.");
            else if (ForbiddenHeaders.Contains(name)) check.Add("headers", $"'{name}' cannot be set here; credentials go in api_key, which is encrypted.");
            if (value.Length > 1000 || value.Any(char.IsControl)) check.Add("headers", $"the value of '{name}' must be at most 1000 characters, with no control characters.");
        }
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")]
    private static partial Regex AliasShape();

    [GeneratedRegex(@"^[A-Za-z0-9!#$%&'*+.^_`|~\-]{1,100}$")]
    private static partial Regex HeaderNameShape();
}
