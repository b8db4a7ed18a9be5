using System.Text;
using Tollgate.Payments.Webhooks;

namespace Tollgate.Tests.Payments;

/// <summary>
/// Each provider's signature scheme, against signatures computed outside this code (<c>openssl dgst -sha256 -hmac</c>)
/// on the same bytes: valid, a tampered body, a forged or wrong-secret signature, a stale timestamp, rotation.
/// </summary>
public sealed class WebhookSignatureTests
{
    static readonly DateTimeOffset SignedAt = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
    static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    const string StripeBody = """{"id":"evt_1","type":"checkout.session.completed"}""";
    const string StripeSecret = "whsec_test_secret";
    const string StripeV1 = "a13d4b1f9003bc2fb6c06224e878b6056185eaa50d40e1e7dc05517f8af41d7b";

    static SignatureCheck Stripe(string? header, string body = StripeBody, string[]? secrets = null, DateTimeOffset? now = null) =>
        StripeSignature.Check(header, Encoding.UTF8.GetBytes(body), secrets ?? [StripeSecret], now ?? SignedAt.AddSeconds(10), Tolerance);

    [Fact]
    public void Stripe_accepts_its_signature_of_the_timestamp_and_the_body()
    {
        Stripe($"t=1700000000,v1={StripeV1}").ShouldBe(SignatureCheck.Valid);
        Stripe($"t=1700000000,v1={StripeV1.ToUpperInvariant()},v0=ignored").ShouldBe(SignatureCheck.Valid);
    }

    [Fact]
    public void Stripe_accepts_any_matching_v1_during_a_rotation_and_either_of_our_secrets()
    {
        Stripe($"t=1700000000,v1={new string('0', 64)},v1={StripeV1}").ShouldBe(SignatureCheck.Valid);
        Stripe($"t=1700000000,v1={StripeV1}", secrets: ["whsec_new_one", StripeSecret]).ShouldBe(SignatureCheck.Valid);
    }

    [Fact]
    public void Stripe_refuses_a_tampered_body_a_forged_signature_another_secret_and_a_moved_timestamp()
    {
        Stripe($"t=1700000000,v1={StripeV1}", body: StripeBody.Replace("evt_1", "evt_2")).ShouldBe(SignatureCheck.Mismatch);
        Stripe($"t=1700000000,v1={new string('a', 64)}").ShouldBe(SignatureCheck.Mismatch);
        Stripe($"t=1700000000,v1={StripeV1}", secrets: ["whsec_other"]).ShouldBe(SignatureCheck.Mismatch);
        Stripe($"t=1700000001,v1={StripeV1}").ShouldBe(SignatureCheck.Mismatch); // the timestamp is signed too
    }

    [Fact]
    public void Stripe_refuses_a_signature_older_or_newer_than_the_tolerance()
    {
        Stripe($"t=1700000000,v1={StripeV1}", now: SignedAt.AddSeconds(300)).ShouldBe(SignatureCheck.Valid);
        Stripe($"t=1700000000,v1={StripeV1}", now: SignedAt.AddSeconds(301)).ShouldBe(SignatureCheck.Stale);
        Stripe($"t=1700000000,v1={StripeV1}", now: SignedAt.AddSeconds(-301)).ShouldBe(SignatureCheck.Stale);
    }

    [Theory]
    [InlineData(null, SignatureCheck.Missing)]
    [InlineData("", SignatureCheck.Missing)]
    [InlineData("v1=abc", SignatureCheck.Malformed)]
    [InlineData("t=1700000000", SignatureCheck.Malformed)]
    [InlineData("t=soon,v1=abc", SignatureCheck.Malformed)]
    [InlineData("t=-1700000000,v1=abc", SignatureCheck.Malformed)]
    [InlineData("garbage", SignatureCheck.Malformed)]
    [InlineData("t=99999999999999999999,v1=abc", SignatureCheck.Malformed)]
    [InlineData("t=1700000000,v1=not-hex", SignatureCheck.Mismatch)]
    public void Stripe_names_what_is_wrong_with_a_header(string? header, SignatureCheck expected) => Stripe(header).ShouldBe(expected);

    const string PaddleBody = """{"event_id":"evt_01","event_type":"transaction.completed"}""";
    const string PaddleSecret = "pdl_ntfset_01_secret";
    const string PaddleH1 = "55c6961c9238991bdda67552ba172c5cadc1207614bef26c0ec703b116793e28";

    static SignatureCheck Paddle(string? header, string body = PaddleBody, string[]? secrets = null, DateTimeOffset? now = null) =>
        PaddleSignature.Check(header, Encoding.UTF8.GetBytes(body), secrets ?? [PaddleSecret], now ?? SignedAt, Tolerance);

    [Fact]
    public void Paddle_accepts_its_signature_of_ts_colon_body_and_any_h1_during_a_rotation()
    {
        Paddle($"ts=1700000000;h1={PaddleH1}").ShouldBe(SignatureCheck.Valid);
        Paddle($"ts=1700000000;h1={new string('1', 64)};h1={PaddleH1}").ShouldBe(SignatureCheck.Valid);
    }

    [Fact]
    public void Paddle_accepts_the_signature_its_own_sdk_tests_with()
    {
        // PaddleHQ/paddle-node-sdk, src/__tests__/notifications/webhooks-validator.node.test.ts: whitespace in the body is signed too.
        const string body = """{"data": ["1", "2"]}""";
        var at = DateTimeOffset.FromUnixTimeSeconds(1698796800);
        PaddleSignature.Check("ts=1698796800;h1=a300428748dce5c70e4da19bffd60769591ea969c99dea3105d0ec9612cf43f9", Encoding.UTF8.GetBytes(body), ["VALID_SECRET"], at, Tolerance)
            .ShouldBe(SignatureCheck.Valid);
        PaddleSignature.Check("ts=1698796800;h1=a300428748dce5c70e4da19bffd60769591ea969c99dea3105d0ec9612cf43f9", Encoding.UTF8.GetBytes("""{"data":["1","2"]}"""), ["VALID_SECRET"], at, Tolerance)
            .ShouldBe(SignatureCheck.Mismatch);
    }

    [Fact]
    public void Paddle_refuses_tampered_forged_stale_and_malformed()
    {
        Paddle($"ts=1700000000;h1={PaddleH1}", body: PaddleBody + " ").ShouldBe(SignatureCheck.Mismatch);
        Paddle($"ts=1700000000;h1={PaddleH1}", secrets: ["pdl_ntfset_other"]).ShouldBe(SignatureCheck.Mismatch);
        Paddle($"ts=1700000000;h1={PaddleH1}", now: SignedAt.AddMinutes(6)).ShouldBe(SignatureCheck.Stale);
        Paddle($"t=1700000000,v1={PaddleH1}").ShouldBe(SignatureCheck.Malformed); // Stripe's format is not Paddle's
        Paddle(null).ShouldBe(SignatureCheck.Missing);
    }

    [Fact]
    public void Razorpay_and_LemonSqueezy_sign_the_body_alone()
    {
        const string razorpay = """{"entity":"event","event":"payment.captured"}""";
        BodySignature.Check("6f1d2291843878c4afa36db712dcb75555eeec13e91624e8ca94976a18e2312e", Encoding.UTF8.GetBytes(razorpay), ["rzp_webhook_secret"])
            .ShouldBe(SignatureCheck.Valid);
        const string lemon = """{"meta":{"event_name":"order_created"}}""";
        BodySignature.Check("814349550f5c6cb16a846f8e88c6c4b4f7fe57b5700def7204b013278f8ceb9d", Encoding.UTF8.GetBytes(lemon), ["old_secret", "ls_signing_secret"])
            .ShouldBe(SignatureCheck.Valid);

        BodySignature.Check("814349550f5c6cb16a846f8e88c6c4b4f7fe57b5700def7204b013278f8ceb9d", Encoding.UTF8.GetBytes(lemon + "\n"), ["ls_signing_secret"])
            .ShouldBe(SignatureCheck.Mismatch);
        BodySignature.Check("814349550f5c6cb16a846f8e88c6c4b4f7fe57b5700def7204b013278f8ceb9d", Encoding.UTF8.GetBytes(lemon), ["rzp_webhook_secret"])
            .ShouldBe(SignatureCheck.Mismatch);
        BodySignature.Check("sha256=814349550f5c", Encoding.UTF8.GetBytes(lemon), ["ls_signing_secret"]).ShouldBe(SignatureCheck.Malformed);
        BodySignature.Check(" ", Encoding.UTF8.GetBytes(lemon), ["ls_signing_secret"]).ShouldBe(SignatureCheck.Missing);
    }
}
