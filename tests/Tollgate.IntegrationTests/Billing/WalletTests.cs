using Dapper;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Billing;

public abstract class WalletTests(TollgateServer server)
{
    async Task<(string Customer, string Plan)> CustomerAndPlanAsync()
    {
        var plan = $"w_{Guid.NewGuid():N}"[..20];
        await server.Admin.PostAsync("/api/v1/plans", new { code = plan, name = "Prepaid", version = new { prices = new[] { new { interval = "month", currency = "USD", amount = 2900 } } }, publish = true });
        return ((await server.Admin.PostAsync("/api/v1/customers", new { name = "Prepaid" })).Body!["id"]!.GetValue<string>(), plan);
    }

    async Task<string> WalletAsync(string customer, object body)
    {
        var created = await server.Admin.PostAsync($"/api/v1/customers/{customer}/wallets", body);
        created.Status.ShouldBe(HttpStatusCode.Created, created.Body?.ToJsonString());
        return created.Body!["id"]!.GetValue<string>();
    }

    [Fact]
    public async Task Invoices_use_wallets_after_tax_by_priority_and_a_wallet_falling_low_says_so()
    {
        var (customer, plan) = await CustomerAndPlanAsync();
        var second = await WalletAsync(customer, new { currency = "USD", amount = 5000, priority = 2, low_balance_threshold = 3500 });
        var first = await WalletAsync(customer, new { currency = "USD", amount = 1000, priority = 1, expires_at = server.Clock.GetUtcNow().AddDays(365) });
        await WalletAsync(customer, new { currency = "EUR", amount = 9999, priority = 1 }); // another currency: never used here

        var subscription = (await server.Admin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan })).Body!["id"]!.GetValue<string>();

        var invoice = (await server.Admin.GetAsync($"/api/v1/invoices?subscription_id={subscription}")).Body!["data"]![0]!;
        (invoice["credits_applied"]!.GetValue<long>(), invoice["amount_due"]!.GetValue<long>(), invoice["status"]!.GetValue<string>()).ShouldBe((2900, 0, "paid"));
        var wallets = (await server.Admin.GetAsync($"/api/v1/customers/{customer}/wallets")).Body!.AsArray().ToDictionary(w => w!["id"]!.GetValue<string>());
        wallets[first]!["balance"]!.GetValue<long>().ShouldBe(0);
        wallets[second]!["balance"]!.GetValue<long>().ShouldBe(3100);
        wallets[second]!["transactions"]!.AsArray().Select(t => (t!["kind"]!.GetValue<string>(), t["amount"]!.GetValue<long>())).ShouldBe([("granted", 5000L), ("applied", -1900L)]);
        await using var connection = await server.Get<Tollgate.Storage.Database>().OpenAsync();
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM outbox WHERE type = 'wallet.low_balance' AND customer_id = @customer", new { customer })).ShouldBe(1);
    }

    [Fact]
    public async Task An_expired_wallet_is_used_no_more_and_cannot_be_topped_up()
    {
        var (customer, plan) = await CustomerAndPlanAsync();
        var wallet = await WalletAsync(customer, new { currency = "USD", amount = 100_000, expires_at = server.Clock.GetUtcNow().AddDays(2) });
        var subscription = (await server.Admin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan })).Body!["id"]!.GetValue<string>();

        server.Clock.Advance(TimeSpan.FromDays(31));
        await server.Admin.PostAsync("/api/v1/invoice-runs");
        var topUp = await server.Admin.PostAsync($"/api/v1/customers/{customer}/wallets/{wallet}/top-up", new { amount = 10 });

        var invoices = (await server.Admin.GetAsync($"/api/v1/invoices?subscription_id={subscription}")).Body!["data"]!.AsArray();
        invoices.Select(i => i!["credits_applied"]!.GetValue<long>()).ShouldBe([0L, 2900L]); // newest first: the renewal found the wallet expired
        topUp.Code.ShouldBe("wallet_expired");
        (await server.Admin.GetAsync($"/api/v1/customers/{customer}/wallets")).Body![0]!["expired"]!.GetValue<bool>().ShouldBeTrue();
    }

    [Fact]
    public async Task A_wallet_that_makes_no_sense_is_refused()
    {
        var (customer, _) = await CustomerAndPlanAsync();

        var zero = await server.Admin.PostAsync($"/api/v1/customers/{customer}/wallets", new { currency = "USD", amount = 0 });
        var past = await server.Admin.PostAsync($"/api/v1/customers/{customer}/wallets", new { currency = "USD", amount = 5, expires_at = server.Clock.GetUtcNow().AddDays(-1) });
        var currency = await server.Admin.PostAsync($"/api/v1/customers/{customer}/wallets", new { currency = "XXQ", amount = 5 });
        var nobody = await server.Admin.PostAsync("/api/v1/customers/cus_nobody/wallets", new { currency = "USD", amount = 5 });

        zero.Body!["errors"]!["amount"].ShouldNotBeNull();
        past.Body!["errors"]!["expires_at"].ShouldNotBeNull();
        currency.Body!["errors"]!["currency"].ShouldNotBeNull();
        nobody.Status.ShouldBe(HttpStatusCode.NotFound);
        (await server.Admin.GetAsync($"/api/v1/customers/{customer}/wallets")).Body!.AsArray().ShouldBeEmpty();
    }
}

[Collection(SqliteCollection.Name)]
public sealed class WalletsOnSqlite(SqliteServer server) : WalletTests(server);

[Collection(PostgresCollection.Name)]
public sealed class WalletsOnPostgres(PostgresServer server) : WalletTests(server);
