using System.Security.Cryptography;
using System.Text;

namespace Tollgate.Payments.Webhooks;

/// <summary>What checking an inbound webhook's signature found. Only <see cref="Valid"/> lets it in.</summary>
public enum SignatureCheck
{
    Valid,

    /// <summary>No signature header.</summary>
    Missing,

    /// <summary>A signature header that is not in the provider's format.</summary>
    Malformed,

    /// <summary>Signed, but at a time too far from now (a replay, or a clock far off).</summary>
    Stale,

    /// <summary>No signature matches the body under any of the secrets: forged, tampered with, or signed with another secret.</summary>
    Mismatch,
}

/// <summary>HMAC-SHA256 as the providers use it: hex signatures compared in constant time.</summary>
static class Hmac
{
    public static byte[] Sha256(string secret, ReadOnlySpan<byte> message) => HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message);

    /// <summary>Whether <paramref name="hex"/> is the HMAC of <paramref name="message"/> under one of <paramref name="secrets"/>; every secret is tried.</summary>
    public static bool MatchesAny(string hex, ReadOnlySpan<byte> message, IReadOnlyList<string> secrets)
    {
        byte[] given;
        try
        {
            given = Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            return false;
        }

        var matched = false;
        foreach (var secret in secrets) matched |= CryptographicOperations.FixedTimeEquals(Sha256(secret, message), given);
        return matched;
    }

    /// <summary><c>prefix</c> followed by the body's bytes: what a timestamped scheme signs.</summary>
    public static byte[] Prefixed(string prefix, ReadOnlySpan<byte> body)
    {
        var head = Encoding.UTF8.GetBytes(prefix);
        var message = new byte[head.Length + body.Length];
        head.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(head.Length));
        return message;
    }
}

/// <summary>The secrets a webhook may be signed with: the current one and, while it is set, the one before a rotation.</summary>
public static class WebhookSecrets
{
    public static IReadOnlyList<string> Of(params string?[] secrets) => [.. secrets.Where(s => !string.IsNullOrEmpty(s)).Select(s => s!)];
}
