using Tollgate.Outbound;

namespace Tollgate.Webhooks.Endpoints;

/// <summary>
/// Checks a webhook URL when it is registered: absolute http or https, https for a live endpoint, no credentials
/// or fragment, and no host the <see cref="OutboundPolicy"/> refuses already (a metadata name, a refused literal
/// address). A host name is judged again at every delivery, by the address it resolves to then.
/// </summary>
public static class WebhookUrl
{
    public const int MostLength = 2048;

    /// <summary>Why <paramref name="url"/> cannot be an endpoint of <paramref name="mode"/> (<c>live</c> or <c>test</c>), or null.</summary>
    public static string? Problem(string url, string mode, OutboundPolicy policy)
    {
        if (url.Length > MostLength) return $"at most {MostLength} characters.";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) return $"'{url}' is not an absolute http or https URL.";
        if (mode == "live" && uri.Scheme != "https") return "a live endpoint must use https (test-mode keys may register http).";
        if (!string.IsNullOrEmpty(uri.UserInfo)) return "a webhook URL cannot carry credentials; verify the signature instead.";
        if (!string.IsNullOrEmpty(uri.Fragment)) return "a webhook URL cannot have a fragment.";
        return OutboundUrl.HostRefusal(uri, policy);
    }
}
