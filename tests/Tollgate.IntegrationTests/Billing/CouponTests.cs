using System.Text.Json.Nodes;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Billing;

public abstract class CouponTests(TollgateServer server)
{
    static string Code(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..20];

    async Task<string> PlanAsync()
    {
        var plan = Code("p");
        var created = await server.Admin.PostAsync("/api/v1/plans", new { code = plan, name = "Pro", version = new { prices = new[] { new { interval = "month", currency = "USD", amount = 5000 } } }, publish = true });
        created.Status.ShouldBe(HttpStatusCode.Created, created.Body?.ToJsonString());
        return plan;
    }

    async Task<string> CouponAsync(object body)
    {
        var created = await server.Admin.PostAsync("/api/v1/coupons", body);
        created.Status.ShouldBe(HttpStatusCode.Created, created.Body?.ToJsonString());
        return created.Body!["code"]!.GetValue<string>();
    }

    /// <summary>Subscribes a new customer with the coupon, and runs the invoice run over the next <paramref name="months"/> months.</summary>
    async Task<List<JsonNode>> InvoicesOverAsync(string plan, string coupon, int months)
    {
        var customer = (await server.Admin.PostAsync("/api/v1/customers", new { name = "Bargain hunter" })).Body!["id"]!.GetValue<string>();
        var subscription = await server.Admin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan, coupon });
        subscription.Status.ShouldBe(HttpStatusCode.Created, subscription.Body?.ToJsonString());
        var id = subscription.Body!["id"]!.GetValue<string>();
        for (var m = 0; m < months; m++)
        {
            server.Clock.Advance(TimeSpan.FromDays(31));
            (await server.Admin.PostAsync("/api/v1/invoice-runs")).Status.ShouldBe(HttpStatusCode.OK);
        }

        var invoices = (await server.Admin.GetAsync($"/api/v1/invoices?subscription_id={id}&limit=100")).Body!["data"]!.AsArray();
        return [.. invoices.Reverse().Select(i => i!)];
    }

    [Fact]
    public async Task A_run_that_catches_up_late_discounts_each_period_as_of_its_own_end_not_as_of_the_run()
    {
        var plan = await PlanAsync();
        var coupon = await CouponAsync(new { code = Code("LATE"), percent_off = 50, duration = "repeating", duration_in_months = 2 });
        var customer = (await server.Admin.PostAsync("/api/v1/customers", new { name = "Late run" })).Id;
        var id = (await server.Admin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan, coupon })).Id;

        // No run for three months, then one run bills the three periods that ended.
        server.Clock.Advance(TimeSpan.FromDays(95));
        (await server.Admin.PostAsync("/api/v1/invoice-runs")).Status.ShouldBe(HttpStatusCode.OK);

        var invoices = (await server.Admin.GetAsync($"/api/v1/invoices?subscription_id={id}&limit=100")).Data.OrderBy(i => i!["number"]!.GetValue<string>()).ToList();
        // The coupon covers the two months from the redemption: the first period and the renewal at its end.
        invoices.Select(i => i!["discount"]!.GetValue<long>()).ShouldBe([2500L, 2500L, 0L, 0L]);
    }

    [Fact]
    public async Task A_once_coupon_discounts_the_first_invoice_only()
    {
        var plan = await PlanAsync();
        var coupon = await CouponAsync(new { code = Code("LAUNCH"), percent_off = 20, duration = "once" });
        coupon.ShouldStartWith("LAUNCH"); // kept as written

        var invoices = await InvoicesOverAsync(plan, coupon.ToLowerInvariant(), 2); // and found whatever the case

        invoices.Select(i => i["discount"]!.GetValue<long>()).ShouldBe([1000L, 0L, 0L]);
        invoices.Select(i => i["total"]!.GetValue<long>()).ShouldBe([4000L, 5000L, 5000L]);
        invoices[0]["discount_code"]!.GetValue<string>().ShouldBe(coupon);
    }

    [Fact]
    public async Task A_repeating_coupon_discounts_for_its_months_and_a_forever_one_always()
    {
        var plan = await PlanAsync();
        var repeating = await CouponAsync(new { code = Code("three"), amount_off = 500, currency = "USD", duration = "repeating", duration_in_months = 2 });
        var forever = await CouponAsync(new { code = Code("forever"), percent_off = 12.5m, duration = "forever" });

        var withRepeating = await InvoicesOverAsync(plan, repeating, 3);
        var withForever = await InvoicesOverAsync(plan, forever, 2);

        withRepeating.Select(i => i["discount"]!.GetValue<long>()).ShouldBe([500L, 500L, 0L, 0L]); // redeemed now: this month and the next
        withForever.Select(i => i["total"]!.GetValue<long>()).ShouldBe([4375L, 4375L, 4375L]);
    }

    [Fact]
    public async Task An_expired_used_up_or_foreign_currency_coupon_is_refused_and_nothing_is_written()
    {
        var plan = await PlanAsync();
        var expired = await CouponAsync(new { code = Code("old"), percent_off = 10, duration = "once", redeem_by = server.Clock.GetUtcNow().AddMinutes(1) });
        var single = await CouponAsync(new { code = Code("one"), percent_off = 10, duration = "once", max_redemptions = 1 });
        var euros = await CouponAsync(new { code = Code("eur"), amount_off = 100, currency = "EUR", duration = "once" });
        server.Clock.Advance(TimeSpan.FromMinutes(2));
        var customer = (await server.Admin.PostAsync("/api/v1/customers", new { name = "Late" })).Body!["id"]!.GetValue<string>();
        var other = (await server.Admin.PostAsync("/api/v1/customers", new { name = "Second" })).Body!["id"]!.GetValue<string>();

        var late = await server.Admin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan, coupon = expired });
        var first = await server.Admin.PostAsync("/api/v1/subscriptions", new { customer_id = other, plan, coupon = single });
        var second = await server.Admin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan, coupon = single });
        var currency = await server.Admin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan, coupon = euros });
        var unknown = await server.Admin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan, coupon = "nope" });
        var both = await server.Admin.PostAsync("/api/v1/coupons", new { code = Code("both"), percent_off = 10, amount_off = 100, currency = "USD", duration = "once" });

        late.Code.ShouldBe("coupon_expired");
        first.Status.ShouldBe(HttpStatusCode.Created);
        second.Code.ShouldBe("coupon_used_up");
        currency.Code.ShouldBe("coupon_currency");
        unknown.Body!["errors"]!["coupon"].ShouldNotBeNull();
        both.Code.ShouldBe("validation_failed");
        (await server.Admin.GetAsync($"/api/v1/subscriptions?customer_id={customer}")).Body!["data"]!.AsArray().ShouldBeEmpty();
        (await server.Admin.GetAsync($"/api/v1/coupons/{single}")).Body!["times_redeemed"]!.GetValue<long>().ShouldBe(1);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class CouponsOnSqlite(SqliteServer server) : CouponTests(server);

[Collection(PostgresCollection.Name)]
public sealed class CouponsOnPostgres(PostgresServer server) : CouponTests(server);
