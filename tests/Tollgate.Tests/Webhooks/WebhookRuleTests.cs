using System.Text;
using Tollgate.Outbound;
using Tollgate.Webhooks;
using Tollgate.Webhooks.Delivery;
using Tollgate.Webhooks.Endpoints;

namespace Tollgate.Tests.Webhooks;

public sealed class WebhookRuleTests
{
    [Fact]
    public void The_specifications_published_signature_is_reproduced()
    {
        // The Standard Webhooks libraries' own test of signing (libraries/go/webhook_test.go, TestWebhookSign).
        var key = StandardWebhooks.KeyOf("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").ShouldNotBeNull();

        var signature = StandardWebhooks.Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, Encoding.UTF8.GetBytes("""{"test": 2432232314}"""));

        signature.ShouldBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    [Fact]
    public void A_new_secret_is_a_whsec_key_of_24_random_bytes_and_during_a_rotation_both_keys_sign()
    {
        var (first, second) = (StandardWebhooks.NewSecret(), StandardWebhooks.NewSecret());
        first.ShouldStartWith("whsec_");
        first.ShouldNotBe(second);
        StandardWebhooks.KeyOf(first).ShouldNotBeNull().Length.ShouldBe(24);
        StandardWebhooks.KeyOf("whsec_not base64!").ShouldBeNull();
        StandardWebhooks.KeyOf("sk_" + first[6..]).ShouldBeNull();

        var keys = new[] { StandardWebhooks.KeyOf(first)!, StandardWebhooks.KeyOf(second)! };
        var header = StandardWebhooks.SignatureHeaderValue(keys, "msg_1", 1_700_000_000, "{}"u8);
        header.Split(' ').ShouldBe([StandardWebhooks.Sign(keys[0], "msg_1", 1_700_000_000, "{}"u8), StandardWebhooks.Sign(keys[1], "msg_1", 1_700_000_000, "{}"u8)]);
    }

    [Fact]
    public void Retries_follow_the_schedule_stretched_by_at_most_a_fifth_and_end_after_eight_attempts()
    {
        var now = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
        RetrySchedule.Next(0, now, 0.5).ShouldBe(now); // the first attempt: at once
        RetrySchedule.Next(1, now, 0).ShouldBe(now.AddSeconds(5));
        RetrySchedule.Next(1, now, 1).ShouldBe(now.AddSeconds(6));
        RetrySchedule.Next(2, now, 0).ShouldBe(now.AddMinutes(5));
        RetrySchedule.Next(3, now, 0).ShouldBe(now.AddMinutes(30));
        RetrySchedule.Next(4, now, 0).ShouldBe(now.AddHours(2));
        RetrySchedule.Next(5, now, 0).ShouldBe(now.AddHours(5));
        RetrySchedule.Next(6, now, 0).ShouldBe(now.AddHours(10));
        RetrySchedule.Next(7, now, 0.5).ShouldBe(now.AddHours(11));
        RetrySchedule.Next(8, now, 0).ShouldBeNull();
        RetrySchedule.Next(1, now, 7).ShouldBe(now.AddSeconds(6)); // jitter is clamped
    }

    [Theory]
    [InlineData("*", "invoice.paid", true)]
    [InlineData("invoice.*", "invoice.paid", true)]
    [InlineData("invoice.*", "invoice.payment_failed", true)]
    [InlineData("invoice.paid", "invoice.paid", true)]
    [InlineData("invoice.paid", "invoice.payment_failed", false)]
    [InlineData("invoice.*", "invoices.paid", false)]
    [InlineData("invoice*", "invoice.paid", false)]
    [InlineData("payment.*", "invoice.paid", false)]
    public void Filters_match_a_type_by_name_family_or_everything(string pattern, string type, bool matches) =>
        EventTypes.Matches(pattern, type).ShouldBe(matches);

    [Fact]
    public void A_filter_must_name_some_event_type()
    {
        EventTypes.Problem("invoice.*").ShouldBeNull();
        EventTypes.Problem("*").ShouldBeNull();
        EventTypes.Problem("invoice.paid").ShouldBeNull();
        EventTypes.Problem("invoice.pay").ShouldNotBeNull().ShouldContain("matches no event type");
        EventTypes.Problem("").ShouldNotBeNull();
    }

    [Theory]
    [InlineData("https://hooks.example.com/tollgate?token=a", "live", null)]
    [InlineData("http://hooks.example.com/tollgate", "test", "https")] // plain http never crosses the internet
    [InlineData("http://127.0.0.1:8080/tollgate", "test", "private")] // nor, here, to a private address
    [InlineData("http://hooks.example.com/tollgate", "live", "https")]
    [InlineData("ftp://hooks.example.com/", "test", "http or https")]
    [InlineData("/relative", "test", "http or https")]
    [InlineData("https://user:pass@hooks.example.com/", "live", "credentials")]
    [InlineData("https://hooks.example.com/#part", "live", "fragment")]
    [InlineData("https://169.254.169.254/latest/meta-data", "live", "link-local")]
    [InlineData("https://metadata.google.internal/computeMetadata", "live", "metadata")]
    [InlineData("https://127.0.0.1/", "live", "private")]
    [InlineData("https://localhost/", "live", "private")]
    [InlineData("https://10.1.2.3/", "live", "private")]
    [InlineData("https://100.64.0.1/", "live", "private")]
    [InlineData("https://192.168.1.1/", "live", "private")]
    [InlineData("https://224.0.0.1/", "live", "multicast")]
    [InlineData("https://[::1]/", "live", "private")]
    [InlineData("https://[::ffff:127.0.0.1]/", "live", "private")]
    [InlineData("https://[fe80::1]/", "live", "link-local")]
    [InlineData("https://[fd00::1]/", "live", "private")]
    public void A_url_is_checked_when_registered(string url, string mode, string? refusal)
    {
        var problem = WebhookUrl.Problem(url, mode, new OutboundPolicy(allowPrivate: false, "Webhooks:AllowPrivateAddresses"));
        if (refusal is null) problem.ShouldBeNull();
        else problem.ShouldNotBeNull().ShouldContain(refusal);
    }

    [Fact]
    public void Private_addresses_pass_when_the_operator_allows_them_and_metadata_never_does()
    {
        var open = new OutboundPolicy(allowPrivate: true, "Webhooks:AllowPrivateAddresses");
        WebhookUrl.Problem("http://127.0.0.1:8080/hook", "test", open).ShouldBeNull();
        WebhookUrl.Problem("https://10.1.2.3/hook", "live", open).ShouldBeNull();
        WebhookUrl.Problem("https://169.254.169.254/", "live", open).ShouldNotBeNull();
    }

    [Fact]
    public void The_body_is_type_timestamp_and_the_payload_as_stored()
    {
        var body = Encoding.UTF8.GetString(WebhookSender.Body("invoice.paid", new DateTimeOffset(2026, 12, 1, 10, 30, 0, TimeSpan.FromHours(5)), """{"id":"in_1","total":1200}"""));
        body.ShouldBe("""{"type":"invoice.paid","timestamp":"2026-12-01T05:30:00Z","data":{"id":"in_1","total":1200}}""");
    }
}
