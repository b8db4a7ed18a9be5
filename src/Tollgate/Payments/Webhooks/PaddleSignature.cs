namespace Tollgate.Payments.Webhooks;

/// <summary>
/// Paddle's <c>Paddle-Signature</c>: <c>ts=&lt;unix seconds&gt;;h1=&lt;hex&gt;[;h1=…]</c>, each <c>h1</c> the HMAC-SHA256
/// of <c>{ts}:{body}</c> keyed with the notification destination's secret; several <c>h1</c> come while a secret is
/// rotated. <c>ts</c> must be within the tolerance of now.
/// </summary>
public static class PaddleSignature
{
    public static SignatureCheck Check(string? header, ReadOnlySpan<byte> body, IReadOnlyList<string> secrets, DateTimeOffset now, TimeSpan tolerance)
    {
        if (string.IsNullOrWhiteSpace(header)) return SignatureCheck.Missing;
        long? timestamp = null;
        var signatures = new List<string>();
        foreach (var part in header.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=');
            if (equals <= 0) return SignatureCheck.Malformed;
            var (key, value) = (part[..equals], part[(equals + 1)..]);
            if (key == "ts")
            {
                if (!long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var t)) return SignatureCheck.Malformed;
                timestamp = t;
            }
            else if (key == "h1")
            {
                signatures.Add(value);
            }
        }

        if (timestamp is not { } signedAt || signatures.Count == 0) return SignatureCheck.Malformed;
        var message = Hmac.Prefixed($"{signedAt}:", body);
        var matched = false;
        foreach (var signature in signatures) matched |= Hmac.MatchesAny(signature, message, secrets);
        if (!matched) return SignatureCheck.Mismatch;
        return Timestamps.Within(signedAt, now, tolerance) ? SignatureCheck.Valid : SignatureCheck.Stale;
    }
}
