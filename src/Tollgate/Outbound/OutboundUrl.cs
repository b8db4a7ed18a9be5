using System.Net;

namespace Tollgate.Outbound;

/// <summary>
/// Checks a URL before Tollgate stores it as a destination (a provider's base URL): http or https, no credentials in
/// the URL, no query, and no literal address the <see cref="OutboundPolicy"/> refuses. Host names are judged again on
/// every connection, by the address they resolve to then.
/// </summary>
public static class OutboundUrl
{
    public static string? Check(string url, OutboundPolicy policy)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) return $"'{url}' is not an absolute URL.";
        if (uri.Scheme is not ("http" or "https")) return "only http and https URLs are allowed.";
        if (!string.IsNullOrEmpty(uri.UserInfo)) return "put credentials in the API key, not the URL.";
        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment)) return "a base URL cannot have a query or fragment.";
        return HostRefusal(uri, policy);
    }

    /// <summary>Why the URL's host is no destination already, before any DNS (a metadata name, a refused literal address), or null.</summary>
    public static string? HostRefusal(Uri uri, OutboundPolicy policy)
    {
        if (uri.IdnHost.Equals("metadata.google.internal", StringComparison.OrdinalIgnoreCase)) return "cloud metadata addresses are not allowed.";
        var literal = IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var address) ? address
            : uri.IsLoopback ? IPAddress.Loopback
            : null;
        return literal is not null && policy.Refusal(literal) is { } refusal ? refusal : null;
    }
}
