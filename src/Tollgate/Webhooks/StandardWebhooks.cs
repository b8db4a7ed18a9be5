using System.Security.Cryptography;
using System.Text;

namespace Tollgate.Webhooks;

/// <summary>
/// Signing by the Standard Webhooks specification (standardwebhooks.com): a secret is <c>whsec_</c> and the base64 of
/// its key; a message's signature is <c>v1,</c> and the base64 of HMAC-SHA256 over <c>{id}.{timestamp}.{body}</c>,
/// sent in <c>webhook-signature</c> beside <c>webhook-id</c> and <c>webhook-timestamp</c> (Unix seconds). Several
/// signatures, space-separated, while a rotated secret overlaps its successor. Any receiver's library verifies them.
/// </summary>
public static class StandardWebhooks
{
    public const string SecretPrefix = "whsec_";
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";

    /// <summary>A new secret: 24 random bytes (the specification asks for 24 to 64), as <c>whsec_</c> + base64.</summary>
    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));

    /// <summary>The key of a <c>whsec_</c> secret, or null when it is not one.</summary>
    public static byte[]? KeyOf(string secret)
    {
        if (!secret.StartsWith(SecretPrefix, StringComparison.Ordinal)) return null;
        try
        {
            var key = Convert.FromBase64String(secret[SecretPrefix.Length..]);
            return key.Length is >= 24 and <= 64 ? key : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The <c>v1,…</c> signature of one message with one key.</summary>
    public static string Sign(byte[] key, string id, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp}.");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed));
    }

    /// <summary>The <c>webhook-signature</c> header: one signature per key, space-separated.</summary>
    public static string SignatureHeaderValue(IEnumerable<byte[]> keys, string id, long timestamp, ReadOnlySpan<byte> body)
    {
        var signatures = new List<string>();
        foreach (var key in keys) signatures.Add(Sign(key, id, timestamp, body));
        return string.Join(' ', signatures);
    }
}
