using Tollgate.Payments;

namespace Tollgate.Tests.Payments;

/// <summary>Which credentials test-mode data is served with: the sandbox's, else the live section's unless it is recognisably live.</summary>
public sealed class PaymentModeTests
{
    static PaymentsOptions Options(string stripeKey, string? sandboxKey = null)
    {
        var o = new PaymentsOptions { Stripe = new() { SecretKey = stripeKey, WebhookSecret = "whsec_live" } };
        if (sandboxKey is not null) o.Sandbox.Stripe = new() { SecretKey = sandboxKey, WebhookSecret = "whsec_test" };
        return o;
    }

    [Fact]
    public void Test_mode_takes_the_sandbox_and_live_mode_the_live_section()
    {
        var o = Options("sk_live_abc", "sk_test_abc");
        o.InMode(test: true).Stripe.SecretKey.ShouldBe("sk_test_abc");
        o.InMode(test: false).Stripe.SecretKey.ShouldBe("sk_live_abc");
    }

    [Fact]
    public void Without_a_sandbox_test_mode_takes_a_test_key_set_as_live_but_never_a_live_key()
    {
        Options("sk_test_only").InMode(test: true).Stripe.SecretKey.ShouldBe("sk_test_only");
        var live = Options("sk_live_only").InMode(test: true);
        live.Configures(Tollgate.Payments.Providers.PaymentProviderName.Stripe).ShouldBeFalse(); // test data never moves real money
        Options("rk_live_restricted").InMode(test: true).Stripe.SecretKey.ShouldBeNull();
        Options("sk_unmarked_key").InMode(test: true).Stripe.SecretKey.ShouldBeNull(); // not recognisably a test key: not for test data
        var legacyPaddle = new PaymentsOptions { Paddle = new() { ApiKey = "a_legacy_key_without_a_mark", WebhookSecret = "s" } };
        legacyPaddle.InMode(test: true).Paddle.ApiKey.ShouldBeNull();
        var lemon = new PaymentsOptions { LemonSqueezy = new() { ApiKey = "eyJ0", StoreId = "1", VariantId = "2", SigningSecret = "s" } };
        lemon.InMode(test: true).Configures(Tollgate.Payments.Providers.PaymentProviderName.LemonSqueezy).ShouldBeFalse(); // its keys say nothing: a sandbox section or no test data
    }

    [Fact]
    public void A_live_key_in_the_sandbox_fails_at_start()
    {
        var o = Options("sk_live_abc", "sk_live_xyz");

        var result = new PaymentsOptionsValidation().Validate(null, o);

        result.Failed.ShouldBeTrue();
        result.FailureMessage.ShouldContain("Payments:Sandbox:Stripe:SecretKey is a live credential");
    }

    [Fact]
    public void A_half_configured_sandbox_fails_at_start_as_a_live_section_does()
    {
        var o = new PaymentsOptions();
        o.Sandbox.Razorpay = new() { KeyId = "rzp_test_only_the_id" };

        new PaymentsOptionsValidation().Validate(null, o).FailureMessage!.ShouldContain("Payments:Sandbox:Razorpay is half configured");
    }

    [Fact]
    public void LemonSqueezys_store_and_variant_are_numeric_ids()
    {
        var o = new PaymentsOptions { LemonSqueezy = new() { ApiKey = "key", StoreId = "24905", VariantId = "pro-monthly", SigningSecret = "s" } };

        new PaymentsOptionsValidation().Validate(null, o).FailureMessage!.ShouldContain("Payments:LemonSqueezy:VariantId must be LemonSqueezy's numeric id");
    }

    [Fact]
    public async Task The_mode_entered_flows_into_the_calls_made_after_and_not_back_out()
    {
        PaymentMode.Enter(false);
        async Task<bool> InnerAsync()
        {
            PaymentMode.Enter(true);
            await Task.Yield();
            return PaymentMode.IsTest;
        }

        (await InnerAsync()).ShouldBeTrue();
        PaymentMode.IsTest.ShouldBeFalse();
    }
}
