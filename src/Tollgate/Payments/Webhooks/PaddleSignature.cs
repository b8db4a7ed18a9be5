namespace Tollgate.Payments.Webhooks;

/// <summary>
/// Paddle's <c>Paddle-Signature</c>: <c>ts=&lt;unix seconds&gt;;h1=&lt;hex&gt;[;h1=…]</c>, each <c>h1</c> the HMAC-SHA256
/// of <c>{ts}:{body}</c> keyed with the notification destination's secret; several <c>h1</c> come while a secret is
/// rotated. <c>ts</c> must be within the tolerance of now.
/// </summary>
public static class PaddleSignature
{
    public static SignatureCheck Check(string? header, ReadOnlySpan<byte> body, IReadOnlyList<string> secrets, DateTimeOffset now, TimeSpan tolerance) =>
        TimestampedSignature.Check(header, ';', "ts", "h1", ':', body, secrets, now, tolerance);
}
