using Tollgate.IntegrationTests.Billing;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Payments;

/// <summary>
/// Test-mode keys use the providers' test credentials: on a server with Stripe's live keys and its test keys
/// (<c>Payments:Sandbox:Stripe</c>), each at a Stripe of its own on loopback, a checkout made with a test-mode key is
/// made, completed, renewed and refunded in Stripe's test environment, and one made with a live key in the live one;
/// a customer stays in the mode it was first served in.
/// </summary>
public abstract class TestModeCredentialTests
{
    const string SandboxKey = "sk_test_sandbox_account";
    const string SandboxSecret = "whsec_sandbox_account";

    protected abstract bool Postgres { get; }

    sealed class WithSandbox(bool postgres, FakeStripe sandbox) : TollgateServer
    {
        readonly string _key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

        protected override string[] Settings =>
        [
            $"--Secrets:Key={_key}", $"--Payments:Sandbox:Stripe:SecretKey={SandboxKey}", $"--Payments:Sandbox:Stripe:WebhookSecret={SandboxSecret}",
            $"--Payments:Sandbox:Stripe:BaseUrl={sandbox.BaseAddress}",
        ];

        protected override async Task<ITestDatabase> CreateDatabaseAsync() => postgres ? await PostgresTestDatabase.CreateAsync() : new SqliteTestDatabase();
    }

    [Fact]
    public async Task A_test_mode_checkout_is_made_renewed_and_refunded_with_the_test_credentials_and_a_live_one_with_the_live()
    {
        await using var sandbox = await FakeStripe.StartAsync(SandboxKey, SandboxSecret);
        var server = new WithSandbox(Postgres, sandbox);
        await server.InitializeAsync();
        try
        {
            sandbox.Time = server.Clock;
            sandbox.WebhookTarget = server.Stripe.WebhookTarget;
            var pay = new PaymentScenario(server);
            var plan = await pay.PlanAsync("tmd", "USD", 2900);
            var (clock, tested) = await pay.CustomerAsync("Tess Mode", "tess@example.com", "US");

            var checkout = await pay.CheckoutAsync(tested, plan, "USD");

            checkout.Status.ShouldBe(HttpStatusCode.Created, checkout.Body?.ToJsonString());
            sandbox.Requests.Count(r => r.Path == "/v1/checkout/sessions").ShouldBe(1);
            server.Stripe.Requests.ShouldBeEmpty(); // nothing of test data reaches the live account
            var account = await server.TestAdmin.GetAsync($"/api/v1/customers/{tested}/payment-account");
            account.Str("mode").ShouldBe("test");

            var session = checkout.Str("url")!.Split('/').Last();
            var events = sandbox.CompleteCheckout(session, "pm_card_visa");
            foreach (var e in events) await PaymentScenario.OutcomeAsync(await sandbox.DeliverAsync(e));
            (await pay.StatusAsync(tested)).ShouldBe("active");

            await server.TestAdmin.AdvanceClockAsync(clock, PaymentScenario.At(2, 1).AddHours(1));
            sandbox.Requests.Count(r => r.Path == "/v1/payment_intents" && r.Method == "POST").ShouldBe(1); // the renewal, in test mode
            (await pay.InvoicesAsync(tested)).Last()["status"]!.GetValue<string>().ShouldBe("paid");
            var payment = (await pay.PaymentsAsync(tested)).Last()["id"]!.GetValue<string>();
            (await server.TestAdmin.PostAsync($"/api/v1/payments/{payment}/refund", new { amount = 100 })).Status.ShouldBe(HttpStatusCode.OK);
            sandbox.Requests.Count(r => r.Path == "/v1/refunds").ShouldBe(1);
            server.Stripe.Requests.ShouldBeEmpty();

            // A live key's checkout is the live account's; the test-mode customer cannot be checked out with it.
            var (_, live) = await pay.CustomerAsync("Liv Mode", "liv@example.com", "US");
            var liveCheckout = await server.Admin.PostAsync("/api/v1/checkout-sessions", new
            {
                customer_id = live, plan, interval = "month", currency = "USD", success_url = "https://app.example.com/paid", cancel_url = "https://app.example.com/pricing",
            });
            liveCheckout.Status.ShouldBe(HttpStatusCode.Created, liveCheckout.Body?.ToJsonString());
            server.Stripe.Requests.Count(r => r.Path == "/v1/checkout/sessions").ShouldBe(1);
            (await server.Admin.GetAsync($"/api/v1/customers/{live}/payment-account")).Str("mode").ShouldBe("live");
            var crossed = await server.Admin.PostAsync("/api/v1/checkout-sessions", new
            {
                customer_id = tested, plan, interval = "month", currency = "USD", success_url = "https://app.example.com/paid", cancel_url = "https://app.example.com/pricing",
            });
            (crossed.Status, crossed.Code).ShouldBe((HttpStatusCode.Conflict, "payment_mode_mismatch"));

            // The account moved since (the operator, with a live key, put the customer on another provider): the test
            // payment is still refunded with the test credentials it was made with.
            (await server.Admin.PutAsync($"/api/v1/customers/{tested}/payment-account", new { provider = "test" })).Status.ShouldBe(HttpStatusCode.OK);
            (await server.Admin.GetAsync($"/api/v1/customers/{tested}/payment-account")).Str("mode").ShouldBe("live");
            (await server.TestAdmin.PostAsync($"/api/v1/payments/{payment}/refund", new { amount = 100 })).Status.ShouldBe(HttpStatusCode.OK);
            sandbox.Requests.Count(r => r.Path == "/v1/refunds").ShouldBe(2);
            server.Stripe.Requests.Count(r => r.Path == "/v1/refunds").ShouldBe(0);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    public sealed class OnSqlite : TestModeCredentialTests
    {
        protected override bool Postgres => false;
    }

    public sealed class OnPostgres : TestModeCredentialTests
    {
        protected override bool Postgres => true;
    }
}
