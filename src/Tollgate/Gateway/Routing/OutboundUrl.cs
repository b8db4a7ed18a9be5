using System.Net;

namespace Tollgate.Gateway.Routing;

/// <summary>
/// Checks a provider's base URL before Tollgate sends anything to it: http or https, no credentials in the URL, and
/// never a cloud metadata or link-local address. Loopback and private networks stay allowed, for Ollama, vLLM and llama.cpp.
/// </summary>
public static class OutboundUrl
{
    public static string? Check(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) return $"'{url}' is not an absolute URL.";
        if (uri.Scheme is not ("http" or "https")) return "only http and https URLs are allowed.";
        if (!string.IsNullOrEmpty(uri.UserInfo)) return "put credentials in the API key, not the URL.";
        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment)) return "a base URL cannot have a query or fragment.";
        if (IPAddress.TryParse(uri.IdnHost, out var address) && IsLinkLocal(address)) return "link-local and cloud metadata addresses are not allowed.";
        if (uri.IdnHost.Equals("metadata.google.internal", StringComparison.OrdinalIgnoreCase)) return "cloud metadata addresses are not allowed.";
        return null;
    }

    /// <summary>Whether an address is link-local or a cloud metadata endpoint: checked again on every connection, after DNS.</summary>
    public static bool IsLinkLocal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return address.IsIPv6LinkLocal || address.Equals(IPAddress.Parse("fd00:ec2::254"));
        }

        var bytes = address.GetAddressBytes();
        return bytes[0] == 169 && bytes[1] == 254;
    }
}
