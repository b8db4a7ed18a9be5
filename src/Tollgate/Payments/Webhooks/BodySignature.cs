namespace Tollgate.Payments.Webhooks;

/// <summary>
/// The scheme of Razorpay (<c>X-Razorpay-Signature</c>) and LemonSqueezy (<c>X-Signature</c>): the hex HMAC-SHA256 of
/// the raw body keyed with the webhook's secret. Nothing in it is a time, so a replay is caught by the event's id
/// (recorded with its effect), not here.
/// </summary>
public static class BodySignature
{
    public static SignatureCheck Check(string? header, ReadOnlySpan<byte> body, IReadOnlyList<string> secrets)
    {
        if (string.IsNullOrWhiteSpace(header)) return SignatureCheck.Missing;
        var hex = header.Trim();
        if (hex.Length != 64 || !hex.All(Uri.IsHexDigit)) return SignatureCheck.Malformed;
        return Hmac.MatchesAny(hex, body, secrets) ? SignatureCheck.Valid : SignatureCheck.Mismatch;
    }
}
