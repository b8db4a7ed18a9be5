using System.Net;
using System.Net.Sockets;

namespace Tollgate.Outbound;

/// <summary>What an IP address is, for deciding whether Tollgate may send a request to it.</summary>
public enum AddressKind
{
    /// <summary>A routable address on the internet.</summary>
    Public,

    /// <summary>This machine or an operator's own network: loopback, RFC 1918, CGNAT, benchmarking, IPv6 unique local.</summary>
    Private,

    /// <summary>
    /// Never a destination: link-local (cloud metadata lives there), unspecified (<c>0.0.0.0/8</c>, <c>::</c>),
    /// multicast, broadcast, reserved, documentation and IETF protocol ranges.
    /// </summary>
    Forbidden,
}

/// <summary>
/// Classifies addresses by the IANA special-purpose registries (IPv4 and IPv6). Addresses that carry an IPv4
/// address inside (IPv4-mapped <c>::ffff:0:0/96</c>, NAT64 <c>64:ff9b::/96</c>, 6to4 <c>2002::/16</c>) are judged
/// by the IPv4 address they reach, so no wrapping gets a private address through.
/// </summary>
public static class AddressRanges
{
    static readonly (IPNetwork Range, AddressKind Kind)[] V4 =
    [
        (IPNetwork.Parse("0.0.0.0/8"), AddressKind.Forbidden),
        (IPNetwork.Parse("10.0.0.0/8"), AddressKind.Private),
        (IPNetwork.Parse("100.64.0.0/10"), AddressKind.Private),
        (IPNetwork.Parse("127.0.0.0/8"), AddressKind.Private),
        (IPNetwork.Parse("169.254.0.0/16"), AddressKind.Forbidden),
        (IPNetwork.Parse("172.16.0.0/12"), AddressKind.Private),
        (IPNetwork.Parse("192.0.0.0/24"), AddressKind.Forbidden),
        (IPNetwork.Parse("192.0.2.0/24"), AddressKind.Forbidden),
        (IPNetwork.Parse("192.88.99.0/24"), AddressKind.Forbidden),
        (IPNetwork.Parse("192.168.0.0/16"), AddressKind.Private),
        (IPNetwork.Parse("198.18.0.0/15"), AddressKind.Private),
        (IPNetwork.Parse("198.51.100.0/24"), AddressKind.Forbidden),
        (IPNetwork.Parse("203.0.113.0/24"), AddressKind.Forbidden),
        (IPNetwork.Parse("224.0.0.0/4"), AddressKind.Forbidden),
        (IPNetwork.Parse("240.0.0.0/4"), AddressKind.Forbidden), // reserved, and 255.255.255.255 broadcast
    ];

    static readonly (IPNetwork Range, AddressKind Kind)[] V6 =
    [
        (IPNetwork.Parse("::/128"), AddressKind.Forbidden),
        (IPNetwork.Parse("::1/128"), AddressKind.Private),
        (IPNetwork.Parse("::/96"), AddressKind.Forbidden), // IPv4-compatible, deprecated
        (IPNetwork.Parse("64:ff9b:1::/48"), AddressKind.Private), // local-use NAT64
        (IPNetwork.Parse("100::/64"), AddressKind.Forbidden), // discard-only
        (IPNetwork.Parse("2001::/23"), AddressKind.Forbidden), // IETF protocol assignments, Teredo among them
        (IPNetwork.Parse("2001:db8::/32"), AddressKind.Forbidden), // documentation
        (IPNetwork.Parse("3fff::/20"), AddressKind.Forbidden), // documentation
        (IPNetwork.Parse("5f00::/16"), AddressKind.Forbidden), // segment routing
        (IPNetwork.Parse("fc00::/7"), AddressKind.Private), // unique local
        (IPNetwork.Parse("fe80::/10"), AddressKind.Forbidden), // link-local
        (IPNetwork.Parse("fec0::/10"), AddressKind.Forbidden), // site-local, deprecated
        (IPNetwork.Parse("ff00::/8"), AddressKind.Forbidden), // multicast
    ];

    static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    public static AddressKind Classify(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork) return Find(V4, address);
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return AddressKind.Forbidden;
        if (address.ScopeId != 0) address = new IPAddress(address.GetAddressBytes()); // a zone does not change the range

        var bytes = address.GetAddressBytes();
        if (address.IsIPv4MappedToIPv6) return Find(V4, address.MapToIPv4());
        if (Nat64.Contains(address)) return Find(V4, new IPAddress(bytes.AsSpan(12, 4)));
        if (SixToFour.Contains(address)) return Find(V4, new IPAddress(bytes.AsSpan(2, 4)));
        return Find(V6, address);
    }

    static AddressKind Find((IPNetwork Range, AddressKind Kind)[] table, IPAddress address)
    {
        foreach (var (range, kind) in table)
        {
            if (range.Contains(address)) return kind;
        }

        return AddressKind.Public;
    }
}
