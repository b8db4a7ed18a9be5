using System.Security.Cryptography;
using System.Text;

namespace Tollgate.Common;

public static class RandomText
{
    const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>A secret: <paramref name="prefix"/> then <paramref name="length"/> uniformly random base62 characters.</summary>
    public static string Secret(string prefix, int length)
    {
        var text = new StringBuilder(prefix, prefix.Length + length);
        Span<byte> random = stackalloc byte[64];
        while (text.Length < prefix.Length + length)
        {
            RandomNumberGenerator.Fill(random);
            foreach (var b in random)
            {
                // 248 = 4 × 62: rejecting the rest keeps every character equally likely.
                if (b < 248 && text.Length < prefix.Length + length) text.Append(Base62[b % 62]);
            }
        }

        return text.ToString();
    }

    public static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
