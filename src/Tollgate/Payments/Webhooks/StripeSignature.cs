namespace Tollgate.Payments.Webhooks;

/// <summary>
/// Stripe's <c>Stripe-Signature</c>: <c>t=&lt;unix seconds&gt;,v1=&lt;hex&gt;[,v1=…][,v0=…]</c>, each <c>v1</c> the
/// HMAC-SHA256 of <c>{t}.{body}</c> keyed with the endpoint's whole <c>whsec_…</c> secret. Several <c>v1</c> come during
/// a secret's rotation at Stripe: one matching is enough. <c>t</c> must be within the tolerance of now (300 s).
/// </summary>
public static class StripeSignature
{
    public static SignatureCheck Check(string? header, ReadOnlySpan<byte> body, IReadOnlyList<string> secrets, DateTimeOffset now, TimeSpan tolerance) =>
        TimestampedSignature.Check(header, ',', "t", "v1", '.', body, secrets, now, tolerance);
}
