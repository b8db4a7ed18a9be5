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
    public const string Event = "evt";
    public const string Limit = "lim";
    public const string Alert = "alrt";
    public const string Grant = "grnt";
    public const string Subscription = "sub";
    public const string Invoice = "inv";

    /// <summary>Whether <paramref name="value"/> is in the namespace of Tollgate's customer ids, where external ids never are.</summary>
    public static bool IsCustomerId(string value) => value.StartsWith(Customer + "_", StringComparison.Ordinal);

    static readonly Lock Gate = new();
    static ulong _lastMs;
    static UInt128 _lastRandom;

    /// <summary>
    /// A new id. Within one millisecond (or if the clock steps back) the random part counts up from the last one,
    /// so ids from one process are strictly increasing, as ULID's monotonic mode does.
    /// </summary>
    public static string New(string prefix, TimeProvider time)
    {
        var now = (ulong)Math.Max(0, time.GetUtcNow().ToUnixTimeMilliseconds());
        ulong ms;
        UInt128 random;
        lock (Gate)
        {
            if (now > _lastMs)
            {
                Span<byte> bytes = stackalloc byte[16];
                RandomNumberGenerator.Fill(bytes);
                // 80 bits, with the top bit clear so a long run of ids in one millisecond cannot overflow.
                random = new UInt128(BitConverter.ToUInt64(bytes) & 0x7FFF, BitConverter.ToUInt64(bytes[8..]));
                _lastMs = now;
            }
            else
            {
                random = _lastRandom + 1;
            }

            _lastRandom = random;
            ms = _lastMs;
        }

        Span<char> body = stackalloc char[26];
        for (var i = 9; i >= 0; i--)
        {
            body[i] = Alphabet[(int)(ms & 31)];
            ms >>= 5;
        }

        for (var i = 25; i >= 10; i--)
        {
            body[i] = Alphabet[(int)(random & 31)];
            random >>= 5;
        }

        return string.Concat(prefix, "_", body);
    }

    public static bool HasPrefix(string? id, string prefix) =>
        id is not null && id.Length == prefix.Length + 27 && id.StartsWith(prefix, StringComparison.Ordinal) && id[prefix.Length] == '_';
}
