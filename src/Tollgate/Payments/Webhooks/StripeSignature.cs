namespace Tollgate.Payments.Webhooks;

/// <summary>
/// Stripe's <c>Stripe-Signature</c>: <c>t=&lt;unix seconds&gt;,v1=&lt;hex&gt;[,v1=…][,v0=…]</c>, each <c>v1</c> the
/// HMAC-SHA256 of <c>{t}.{body}</c> keyed with the endpoint's whole <c>whsec_…</c> secret. Several <c>v1</c> come during
/// a secret's rotation at Stripe: one matching is enough. <c>t</c> must be within the tolerance of now (300 s).
/// </summary>
public static class StripeSignature
{
    public static SignatureCheck Check(string? header, ReadOnlySpan<byte> body, IReadOnlyList<string> secrets, DateTimeOffset now, TimeSpan tolerance)
    {
        if (string.IsNullOrWhiteSpace(header)) return SignatureCheck.Missing;
        long? timestamp = null;
        var signatures = new List<string>();
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=');
            if (equals <= 0) return SignatureCheck.Malformed;
            var (key, value) = (part[..equals], part[(equals + 1)..]);
            if (key == "t")
            {
                if (!long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var t)) return SignatureCheck.Malformed;
                timestamp = t;
            }
            else if (key == "v1")
            {
                signatures.Add(value);
            }
        }

        if (timestamp is not { } signedAt || signatures.Count == 0) return SignatureCheck.Malformed;
        var message = Hmac.Prefixed($"{signedAt}.", body);
        var matched = false;
        foreach (var signature in signatures) matched |= Hmac.MatchesAny(signature, message, secrets);
        if (!matched) return SignatureCheck.Mismatch;
        return Timestamps.Within(signedAt, now, tolerance) ? SignatureCheck.Valid : SignatureCheck.Stale;
    }
}

static class Timestamps
{
    public static bool Within(long unixSeconds, DateTimeOffset now, TimeSpan tolerance) =>
        unixSeconds is > -62135596800 and < 253402300800
        && (now - DateTimeOffset.FromUnixTimeSeconds(unixSeconds)).Duration() <= tolerance;
}
