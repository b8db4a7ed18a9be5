using System.Text.Json.Nodes;
using Dapper;
using Tollgate.IntegrationTests.Infrastructure;
using Tollgate.Storage;

namespace Tollgate.IntegrationTests.Payments;

/// <summary>
/// Provider credentials over the admin API: shown masked, stored encrypted (the database never holds their plaintext,
/// nor does the audit log), in force at once (Stripe's webhooks then verify with the stored secret, not the configured
/// one), refused when incomplete or another provider's, and deleted back to the configuration.
/// </summary>
public abstract class PaymentCredentialTests(TollgateServer server)
{
    const string RotatedSecret = "whsec_set_over_the_api_0123456789";
    const string StoredKey = "sk_test_stored_over_the_api_abcdef";

    /// <summary>An event Tollgate acknowledges and ignores, signed with <paramref name="secret"/>: 200 when that secret is in force, 400 when not.</summary>
    async Task<HttpStatusCode> StripeSignedWithAsync(string secret)
    {
        var body = server.Stripe.Event("customer.created", new JsonObject { ["id"] = $"cus_{Guid.NewGuid():N}", ["object"] = "customer" });
        return (await server.Stripe.DeliverAsync(body, FakeStripe.Sign(body, server.Clock.GetUtcNow(), secret))).StatusCode;
    }

    static JsonNode Stripe(ApiResponse list) => list.Data.Single(p => p!["provider"]!.GetValue<string>() == "stripe")!;

    [Fact]
    public async Task Credentials_stored_over_the_api_are_masked_encrypted_in_force_at_once_and_deleted_back_to_the_configuration()
    {
        var configured = Stripe(await server.TestAdmin.GetAsync("/api/v1/payment-providers"));
        (configured["configured"]!.GetValue<bool>(), configured["source"]!.GetValue<string>()).ShouldBe((true, "configuration"));
        configured["credentials"]!["secret_key"]!.GetValue<string>().ShouldNotContain(FakeStripe.SecretKey);
        configured["credentials"]!["secret_key"]!.GetValue<string>().ShouldEndWith(FakeStripe.SecretKey[^4..]);
        (await StripeSignedWithAsync(RotatedSecret)).ShouldBe(HttpStatusCode.BadRequest);

        try
        {
            var stored = await server.TestAdmin.PutAsync("/api/v1/payment-providers/stripe", new
            {
                secret_key = StoredKey, webhook_secret = RotatedSecret, previous_webhook_secret = FakeStripe.WebhookSecret, base_url = server.Stripe.BaseAddress.ToString(),
            });
            stored.Status.ShouldBe(HttpStatusCode.OK, stored.Body?.ToJsonString());
            (stored.Str("source"), stored.Body!["configured"]!.GetValue<bool>()).ShouldBe(("api", true));
            stored.Body!.ToJsonString().ShouldNotContain(StoredKey);
            stored.Body!.ToJsonString().ShouldNotContain(RotatedSecret);

            // In force before the answer: the stored secret verifies, and so does the previous one during the rotation.
            (await StripeSignedWithAsync(RotatedSecret)).ShouldBe(HttpStatusCode.OK);
            (await StripeSignedWithAsync(FakeStripe.WebhookSecret)).ShouldBe(HttpStatusCode.OK);
            (await StripeSignedWithAsync("whsec_nobody")).ShouldBe(HttpStatusCode.BadRequest);

            await using (var connection = await server.Get<Database>().OpenAsync(CancellationToken.None))
            {
                var row = await connection.QuerySingleAsync<string>("SELECT sealed FROM payment_credentials WHERE provider = 'stripe'");
                row.ShouldStartWith("v1.");
                row.ShouldNotContain(StoredKey);
                row.ShouldNotContain(RotatedSecret);
                var audit = string.Join('\n', await connection.QueryAsync<string>("SELECT COALESCE(CAST(after_state AS text), '') || COALESCE(CAST(before_state AS text), '') FROM audit_log WHERE resource_type = 'payment_provider' AND resource_id = 'stripe'"));
                audit.ShouldContain("webhook_path"); // the change is in the log, masked
                audit.ShouldNotContain(StoredKey);
                audit.ShouldNotContain(RotatedSecret);
            }

            // Without the previous secret, only the stored one verifies.
            (await server.TestAdmin.PutAsync("/api/v1/payment-providers/stripe", new
            {
                secret_key = StoredKey, webhook_secret = RotatedSecret, base_url = server.Stripe.BaseAddress.ToString(),
            })).Status.ShouldBe(HttpStatusCode.OK);
            (await StripeSignedWithAsync(FakeStripe.WebhookSecret)).ShouldBe(HttpStatusCode.BadRequest);
        }
        finally
        {
            (await server.TestAdmin.DeleteAsync("/api/v1/payment-providers/stripe")).Status.ShouldBe(HttpStatusCode.OK);
        }

        Stripe(await server.TestAdmin.GetAsync("/api/v1/payment-providers"))["source"]!.GetValue<string>().ShouldBe("configuration");
        (await StripeSignedWithAsync(FakeStripe.WebhookSecret)).ShouldBe(HttpStatusCode.OK);
        (await StripeSignedWithAsync(RotatedSecret)).ShouldBe(HttpStatusCode.BadRequest);
        (await server.TestAdmin.DeleteAsync("/api/v1/payment-providers/stripe")).Status.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Incomplete_foreign_or_malformed_credentials_are_refused_and_change_nothing()
    {
        var half = await server.TestAdmin.PutAsync("/api/v1/payment-providers/razorpay", new { key_id = "rzp_test_only_the_id" });
        half.Status.ShouldBe(HttpStatusCode.BadRequest);
        half.FieldErrors.ShouldBe(["credentials"]);
        var foreign = await server.TestAdmin.PutAsync("/api/v1/payment-providers/paddle", new { api_key = "pdl_key_0123456789", webhook_secret = "pdl_ntfset_x", secret_key = "sk_test_x" });
        foreign.Status.ShouldBe(HttpStatusCode.BadRequest);
        foreign.FieldErrors.ShouldBe(["secret_key"]);
        var url = await server.TestAdmin.PutAsync("/api/v1/payment-providers/paddle", new { api_key = "pdl_key_0123456789", webhook_secret = "pdl_ntfset_x", base_url = "ftp://paddle.example" });
        url.Status.ShouldBe(HttpStatusCode.BadRequest);
        url.FieldErrors.ShouldBe(["credentials"]);
        (await server.TestAdmin.PutAsync("/api/v1/payment-providers/test", new { api_key = "x" })).Status.ShouldBe(HttpStatusCode.BadRequest);
        (await server.TestAdmin.PutAsync("/api/v1/payment-providers/paypal", new { api_key = "x" })).Status.ShouldBe(HttpStatusCode.NotFound);

        var list = await server.TestAdmin.GetAsync("/api/v1/payment-providers");
        var paddle = list.Data.Single(p => p!["provider"]!.GetValue<string>() == "paddle")!;
        // Paddle's credentials are the configuration's still, not the refused ones.
        (paddle["configured"]!.GetValue<bool>(), paddle["source"]!.GetValue<string>()).ShouldBe((true, "configuration"));
        paddle["credentials"]!["api_key"]!.GetValue<string>().ShouldBe(Tollgate.Payments.Credentials.PaymentCredentialService.Mask(FakePaddle.ApiKey));
        list.Data.Single(p => p!["provider"]!.GetValue<string>() == "test")!["configured"]!.GetValue<bool>().ShouldBeTrue();
    }
}

[Collection(SqliteCollection.Name)]
public sealed class PaymentCredentialsOnSqlite(SqliteServer server) : PaymentCredentialTests(server);

[Collection(PostgresCollection.Name)]
public sealed class PaymentCredentialsOnPostgres(PostgresServer server) : PaymentCredentialTests(server);
