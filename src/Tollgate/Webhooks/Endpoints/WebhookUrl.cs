using Tollgate.Outbound;

namespace Tollgate.Webhooks.Endpoints;

/// <summary>
/// Checks a webhook URL when it is registered: absolute http or https, https for a live endpoint and for any public
/// host (http only to this machine or a private address, from a test-mode key), no credentials
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
        // Events of both modes reach an endpoint of either mode, so plain http is only for the operator's own machine
        // or network (a literal private address or localhost, when allowed), never across the internet.
        if (uri.Scheme != "https" && (mode == "live" || !IsOwnNetwork(uri)))
            return mode == "live" ? "a live endpoint must use https." : "http is only for a receiver on this machine or a private network; use https.";
        if (!string.IsNullOrEmpty(uri.UserInfo)) return "a webhook URL cannot carry credentials; verify the signature instead.";
        if (!string.IsNullOrEmpty(uri.Fragment)) return "a webhook URL cannot have a fragment.";
        return OutboundUrl.HostRefusal(uri, policy);
    }

    static bool IsOwnNetwork(Uri uri) =>
        uri.IsLoopback || (System.Net.IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var address) && AddressRanges.Classify(address) == AddressKind.Private);
}
