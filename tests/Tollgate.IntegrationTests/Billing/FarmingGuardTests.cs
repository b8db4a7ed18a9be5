using System.Text.Json.Nodes;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Billing;

/// <summary>
/// Moving to a larger plan late in a period cannot farm what it includes (polar#6448): the usage before the change is
/// billed under the old plan with its share of what that includes, the new plan includes only its share of the rest,
/// and a quota of a period the plan changed in is each plan's limit for its share of the period.
/// </summary>
public abstract class FarmingGuardTests(TollgateServer server)
{
    static string Code(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..24];

    static DateTimeOffset At(int year, int month, int day) => new(year, month, day, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Basic at $10 with 100 calls included and a quota of 100; Pro at $30 with 1,000 included and a quota of 1,000. Calls beyond cost 1¢.</summary>
    async Task<(string Basic, string Pro, string Metric, string Feature)> CatalogAsync()
    {
        var (basic, pro, metric, feature) = (Code("basic"), Code("pro"), Code("calls"), Code("quota"));
        object Plan(string code, long monthly, int included) => new
        {
            code, name = code,
            prices = new[] { new { interval = "month", currency = "USD", amount = monthly }, new { interval = "year", currency = "USD", amount = monthly * 10 } },
            entitlements = new[] { new { feature, limit = included } },
            charges = new[] { new { metric, currency = "USD", model = "per_unit", properties = new { unit_amount = 1, free_units = included } } },
        };
        var applied = await server.TestAdmin.PostAsync("/api/v1/catalog/apply", new
        {
            metrics = new[] { new { code = metric, name = "API calls", aggregation = "count" } },
            features = new[] { new { code = feature, name = "Monthly calls", type = "quota", metric, reset_period = "month" } },
            plans = new[] { Plan(basic, 1000, 100), Plan(pro, 3000, 1000) },
        });
        applied.Status.ShouldBe(HttpStatusCode.OK, applied.Body?.ToJsonString());
        return (basic, pro, metric, feature);
    }

    [Fact]
    public async Task An_upgrade_halfway_bills_the_usage_so_far_under_the_old_plan_and_includes_half_of_the_new_plans_calls()
    {
        var (basic, pro, metric, _) = await CatalogAsync();
        var clock = (await server.TestAdmin.PostAsync("/api/v1/test-clocks", new { frozen_time = At(2027, 4, 1) })).Id;
        var customer = (await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "Farmer", test_clock_id = clock })).Id;
        var subscription = (await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan = basic })).Id;
        // April has 30 days: the 16th is halfway.
        await server.TestAdmin.AdvanceClockAsync(clock, At(2027, 4, 10));
        await server.TestAdmin.SendUsageAsync(customer, metric, 400, At(2027, 4, 10));
        await server.TestAdmin.AdvanceClockAsync(clock, At(2027, 4, 16));

        var preview = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/change", new { plan = pro, preview = true });
        var change = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/change", new { plan = pro, proration_date = preview.Body!["proration_date"] });

        change.Status.ShouldBe(HttpStatusCode.OK, change.Body?.ToJsonString());
        // Basic's first half includes 50 of its 100 calls: 350 of the 400 are beyond, $3.50, waiting for the period's invoice.
        var waiting = change.Body!["pending_items"]!.AsArray();
        waiting.Where(l => l!["kind"]!.GetValue<string>() == "usage").Select(l => l!["amount"]!.GetValue<long>()).ShouldBe([350L]);
        waiting.ToJsonString().ShouldBe(preview.Body!["pending_items"]!.ToJsonString()); // the preview agreed to the cent
        await server.TestAdmin.AdvanceClockAsync(clock, At(2027, 4, 20));
        await server.TestAdmin.SendUsageAsync(customer, metric, 600, At(2027, 4, 20));
        await server.TestAdmin.AdvanceClockAsync(clock, At(2027, 5, 2));

        var invoices = (await server.TestAdmin.GetAsync($"/api/v1/invoices?subscription_id={subscription}&limit=10")).Data;
        var renewal = invoices.Single(i => i!["billing_reason"]!.GetValue<string>() == "subscription_cycle")!;
        // Pro's second half includes 500 of its 1,000: 100 of the 600 are beyond, $1; the whole 1,000 under Pro would have cost nothing.
        renewal["lines"]!.AsArray().Where(l => l!["kind"]!.GetValue<string>() is "usage" or "proration").Select(l => l!["amount"]!.GetValue<long>())
            .Where(a => a is 350 or 100).Order().ShouldBe([100L, 350L]);
        renewal["lines"]!.AsArray().Single(l => l!["amount"]!.GetValue<long>() == 100)!["period_start"]!.GetValue<DateTimeOffset>().ShouldBe(At(2027, 4, 16));
    }

    /// <summary>
    /// Basic from April 1st, Pro from the 16th (a split window), 5,000 calls on the 18th, then <paramref name="startAgain"/>
    /// starts a new period on the 20th (<c>null</c>: it started on the 25th); 2,000 calls two days later: what the new
    /// period's invoice bills of usage, as the upcoming invoice shows it.
    /// </summary>
    async Task<List<(DateTimeOffset, long)>> UsageAfterANewPeriodAsync(Func<string, string, Task<DateTimeOffset>> startAgain)
    {
        var (basic, pro, metric, _) = await CatalogAsync();
        var clock = (await server.TestAdmin.PostAsync("/api/v1/test-clocks", new { frozen_time = At(2027, 4, 1) })).Id;
        var customer = (await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "Splitter", test_clock_id = clock })).Id;
        var subscription = (await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan = basic })).Id;
        await server.TestAdmin.AdvanceClockAsync(clock, At(2027, 4, 16));
        (await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/change", new { plan = pro })).Status.ShouldBe(HttpStatusCode.OK);
        await server.TestAdmin.AdvanceClockAsync(clock, At(2027, 4, 18));
        await server.TestAdmin.SendUsageAsync(customer, metric, 5000, At(2027, 4, 18));
        await server.TestAdmin.AdvanceClockAsync(clock, At(2027, 4, 20));

        var started = await startAgain(subscription, clock);
        await server.TestAdmin.AdvanceClockAsync(clock, started.AddDays(2));
        await server.TestAdmin.SendUsageAsync(customer, metric, 2000, started.AddDays(2));
        await server.TestAdmin.AdvanceClockAsync(clock, started.AddDays(3));

        var upcoming = await server.TestAdmin.GetAsync($"/api/v1/subscriptions/{subscription}/upcoming-invoice");
        upcoming.Status.ShouldBe(HttpStatusCode.OK, upcoming.Body?.ToJsonString());
        return [.. upcoming.Body!["lines"]!.AsArray().Where(l => l!["kind"]!.GetValue<string>() == "usage")
            .Select(l => (l!["period_start"]!.GetValue<DateTimeOffset>(), l["amount"]!.GetValue<long>()))];
    }

    [Fact]
    public async Task A_period_started_by_an_interval_change_bills_only_its_own_usage_after_an_earlier_split()
    {
        var usage = await UsageAfterANewPeriodAsync(async (subscription, clock) =>
        {
            var yearly = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/change", new { interval = "year" });
            yearly.Status.ShouldBe(HttpStatusCode.OK, yearly.Body?.ToJsonString());
            return At(2027, 4, 20);
        });

        // The year from April 20th includes Pro's 1,000 calls whole: 1,000 of the 2,000 beyond; the 5,000 before were billed at the change.
        usage.ShouldBe([(At(2027, 4, 20), 1000L)]);
    }

    [Fact]
    public async Task A_period_started_by_a_resume_bills_only_its_own_usage_after_an_earlier_split()
    {
        var usage = await UsageAfterANewPeriodAsync(async (subscription, clock) =>
        {
            (await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/pause", new { at = "now" })).Status.ShouldBe(HttpStatusCode.OK);
            await server.TestAdmin.AdvanceClockAsync(clock, At(2027, 4, 25));
            var resumed = await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/resume");
            resumed.Status.ShouldBe(HttpStatusCode.OK, resumed.Body?.ToJsonString());
            return At(2027, 4, 25);
        });

        // The month from April 25th includes Pro's 1,000 calls: 1,000 of the 2,000 beyond.
        usage.ShouldBe([(At(2027, 4, 25), 1000L)]);
    }

    [Fact]
    public async Task A_quota_of_the_month_an_upgrade_happens_in_is_each_plans_limit_for_its_share_of_the_month()
    {
        var (basic, pro, metric, feature) = await CatalogAsync();
        // The start of next month, then its middle: quotas count calendar months, on the server's own clock.
        var now = server.Clock.GetUtcNow();
        var month = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);
        var middle = month + (month.AddMonths(1) - month) / 2;
        server.Clock.Advance(month.AddHours(1) - now);
        var customer = (await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "Quota farmer" })).Id;
        var subscription = (await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan = basic })).Id;
        await server.TestAdmin.SendUsageAsync(customer, metric, 80, server.Clock.GetUtcNow());
        var onBasic = await server.TestAdmin.PostAsync("/api/v1/entitlements/check", new { customer_id = customer, feature });
        onBasic.Body!["limit"]!.GetValue<long>().ShouldBe(100);

        server.Clock.Advance(middle - server.Clock.GetUtcNow());
        (await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{subscription}/change", new { plan = pro })).Status.ShouldBe(HttpStatusCode.OK);

        // Half a month of Basic's 100 and half of Pro's 1,000: 550, of which 80 are used.
        var onPro = await server.TestAdmin.PostAsync("/api/v1/entitlements/check", new { customer_id = customer, feature });
        onPro.Status.ShouldBe(HttpStatusCode.OK, onPro.Body?.ToJsonString());
        (onPro.Body!["limit"]!.GetValue<long>(), onPro.Body["remaining"]!.GetValue<decimal>()).ShouldBe((550L, 470m));
        (await server.TestAdmin.PostAsync("/api/v1/entitlements/check", new { customer_id = customer, feature, quantity = 471 })).Str("reason").ShouldBe("limit_reached");

        // The next month is Pro's alone.
        server.Clock.Advance(month.AddMonths(1).AddHours(1) - server.Clock.GetUtcNow());
        (await server.TestAdmin.PostAsync("/api/v1/entitlements/check", new { customer_id = customer, feature })).Body!["limit"]!.GetValue<long>().ShouldBe(1000);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class FarmingGuardOnSqlite(SqliteServer server) : FarmingGuardTests(server);

[Collection(PostgresCollection.Name)]
public sealed class FarmingGuardOnPostgres(PostgresServer server) : FarmingGuardTests(server);
