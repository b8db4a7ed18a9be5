using System.Globalization;

namespace Tollgate.Payments.Webhooks;

/// <summary>
/// The shape Stripe's and Paddle's schemes share: a header of <c>key=value</c> parts holding a time in Unix seconds
/// and one signature or more, each the hex HMAC-SHA256 of the time, a joining character and the body. One matching
/// is enough (a rotation sends several); the time must be within the tolerance of now.
/// </summary>
static class TimestampedSignature
{
    public static SignatureCheck Check(
        string? header, char separator, string timeKey, string signatureKey, char joiner,
        ReadOnlySpan<byte> body, IReadOnlyList<string> secrets, DateTimeOffset now, TimeSpan tolerance)
    {
        if (string.IsNullOrWhiteSpace(header)) return SignatureCheck.Missing;
        long? timestamp = null;
        var signatures = new List<string>();
        foreach (var part in header.Split(separator, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=');
            if (equals <= 0) return SignatureCheck.Malformed;
            var (key, value) = (part[..equals], part[(equals + 1)..]);
            if (key == timeKey)
            {
                if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var t)) return SignatureCheck.Malformed;
                timestamp = t;
            }
            else if (key == signatureKey)
            {
                signatures.Add(value);
            }
        }

        if (timestamp is not { } signedAt || signatures.Count == 0) return SignatureCheck.Malformed;
        var message = Hmac.Prefixed($"{signedAt}{joiner}", body);
        var matched = false;
        foreach (var signature in signatures) matched |= Hmac.MatchesAny(signature, message, secrets);
        if (!matched) return SignatureCheck.Mismatch;
        return Within(signedAt, now, tolerance) ? SignatureCheck.Valid : SignatureCheck.Stale;
    }

    static bool Within(long unixSeconds, DateTimeOffset now, TimeSpan tolerance) =>
        unixSeconds is > -62135596800 and < 253402300800
        && (now - DateTimeOffset.FromUnixTimeSeconds(unixSeconds)).Duration() <= tolerance;
}
