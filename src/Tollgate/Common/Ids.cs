using System.Security.Cryptography;

namespace Tollgate.Common;

/// <summary>
/// Prefixed, time-sortable identifiers like <c>cus_01jd3x…</c>: 48 bits of milliseconds and 80 random bits,
/// in lowercase Crockford base32 (a ULID), so ids sort by creation time and need no coordination between nodes.
/// </summary>
public static class Ids
{
    const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    public const string Customer = "cus";
    public const string Member = "mem";
    public const string Invitation = "invt";
    public const string Feature = "feat";
    public const string Metric = "bm";
    public const string Plan = "plan";
    public const string PlanVersion = "planv";
    public const string ApiKey = "key";
    public const string Audit = "aud";

    public static string New(string prefix, TimeProvider time)
    {
        Span<char> body = stackalloc char[26];
        var ms = (ulong)time.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 9; i >= 0; i--)
        {
            body[i] = Alphabet[(int)(ms & 31)];
            ms >>= 5;
        }

        Span<byte> random = stackalloc byte[16];
        RandomNumberGenerator.Fill(random);
        for (var i = 10; i < 26; i++)
        {
            body[i] = Alphabet[random[i - 10] & 31];
        }

        return string.Concat(prefix, "_", body);
    }

    public static bool HasPrefix(string? id, string prefix) =>
        id is not null && id.Length == prefix.Length + 27 && id.StartsWith(prefix, StringComparison.Ordinal) && id[prefix.Length] == '_';
}
