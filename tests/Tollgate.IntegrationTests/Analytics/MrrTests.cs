using System.Text.Json.Nodes;
using Tollgate.IntegrationTests.Billing;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Analytics;

/// <summary>
/// MRR over HTTP from subscriptions lived on a test clock: every movement to the minor unit, the customers behind
/// each, and each period reconciling. In a currency of its own, so the other tests' subscriptions are not in it.
/// </summary>
public abstract class MrrTests(TollgateServer server)
{
    static DateTimeOffset At(int month, int day) => new(2031, month, day, 0, 0, 0, TimeSpan.Zero);

    static string Q(DateTimeOffset at) => Uri.EscapeDataString(at.ToString("O"));

    [Fact]
    public async Task A_quarter_of_new_expansion_churn_and_reactivation_reconciles_to_the_minor_unit()
    {
        var currency = "SEK";
        var (basic, pro) = ($"mrrb_{Guid.NewGuid():N}"[..20], $"mrrp_{Guid.NewGuid():N}"[..20]);
        object Plan(string code, long month, long year) => new
        {
            code, name = code, prices = new[] { new { interval = "month", currency, amount = month }, new { interval = "year", currency, amount = year } },
        };
        (await server.TestAdmin.PostAsync("/api/v1/catalog/apply", new { plans = new[] { Plan(basic, 1000, 10_000), Plan(pro, 3000, 30_000) } })).Status.ShouldBe(HttpStatusCode.OK);
        var clock = (await server.TestAdmin.PostAsync("/api/v1/test-clocks", new { frozen_time = At(1, 1) })).Id;
        var ada = (await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "Ada", test_clock_id = clock })).Id;
        var bob = (await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "Bob", test_clock_id = clock })).Id;

        async Task<string> SubscribeAsync(string customer, string plan, string interval)
        {
            var created = await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan, interval, currency, trial_days = 0 });
            created.Status.ShouldBe(HttpStatusCode.Created, created.Body?.ToJsonString());
            return created.Id;
        }

        var adas = await SubscribeAsync(ada, basic, "month"); // new: 1,000
        await server.TestAdmin.AdvanceClockAsync(clock, At(1, 10));
        var bobs = await SubscribeAsync(bob, pro, "year"); // new: 30,000 a year is 2,500 a month
        await server.TestAdmin.AdvanceClockAsync(clock, At(2, 5));
        (await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{adas}/change", new { plan = pro, proration = "none" })).Status.ShouldBe(HttpStatusCode.OK); // expansion: 2,000
        await server.TestAdmin.AdvanceClockAsync(clock, At(3, 3));
        (await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{bobs}/cancel", new { at = "now" })).Status.ShouldBe(HttpStatusCode.OK); // churn: 2,500
        await server.TestAdmin.AdvanceClockAsync(clock, At(4, 2));
        await SubscribeAsync(bob, basic, "month"); // reactivation: 1,000

        var report = await server.Admin.GetAsync($"/api/v1/analytics/mrr?from={Q(At(1, 1))}&to={Q(At(5, 1))}&interval=month&currency={currency}");
        report.Status.ShouldBe(HttpStatusCode.OK, report.Body?.ToJsonString());
        report.Body!["currency"]!.GetValue<string>().ShouldBe(currency);
        var periods = report.Data.Select(p => p!).ToList();
        periods.Select(p => (p["start"]!.GetValue<DateTimeOffset>(), p["mrr"]!.GetValue<long>(), p["arr"]!.GetValue<long>(), p["customers"]!.GetValue<int>(), Moves(p))).ShouldBe(
        [
            (At(1, 1), 3500L, 42_000L, 2, (3500L, 0L, 0L, 0L, 0L)),
            (At(2, 1), 5500L, 66_000L, 2, (0L, 2000L, 0L, 0L, 0L)),
            (At(3, 1), 3000L, 36_000L, 1, (0L, 0L, 0L, 2500L, 0L)),
            (At(4, 1), 4000L, 48_000L, 2, (0L, 0L, 0L, 0L, 1000L)),
        ]);
        long previous = 0;
        foreach (var p in periods)
        {
            var (added, expanded, contracted, churned, reactivated) = Moves(p);
            p["mrr"]!.GetValue<long>().ShouldBe(previous + added + expanded + reactivated - contracted - churned, "each period reconciles");
            previous = p["mrr"]!.GetValue<long>();
        }

        // The customers behind a figure.
        var churn = await server.Admin.GetAsync($"/api/v1/analytics/mrr/movements?from={Q(At(3, 1))}&to={Q(At(4, 1))}&kind=churn&currency={currency}");
        var only = churn.Data.ShouldHaveSingleItem()!;
        (only["customer_id"]!.GetValue<string>(), only["at"]!.GetValue<DateTimeOffset>(), only["amount"]!.GetValue<long>(), only["mrr_before"]!.GetValue<long>(), only["mrr_after"]!.GetValue<long>())
            .ShouldBe((bob, At(3, 3), -2500L, 2500L, 0L));
        var all = await server.Admin.GetAsync($"/api/v1/analytics/mrr/movements?from={Q(At(1, 1))}&to={Q(At(5, 1))}&currency={currency}&limit=2");
        (all.Data.Count, all.Body!["has_more"]!.GetValue<bool>()).ShouldBe((2, true));

        // March's rates: Bob, one of two paying at its start, churned 2,500 of 5,500.
        var march = await server.Admin.GetAsync($"/api/v1/analytics/metrics?from={Q(At(3, 1))}&to={Q(At(4, 1))}&currency={currency}");
        march.Status.ShouldBe(HttpStatusCode.OK, march.Body?.ToJsonString());
        var r = march.Body!;
        (r["mrr_start"]!.GetValue<long>(), r["mrr_end"]!.GetValue<long>(), r["customers_start"]!.GetValue<int>(), r["customers_end"]!.GetValue<int>(), r["churned_customers"]!.GetValue<int>())
            .ShouldBe((5500L, 3000L, 2, 1, 1));
        (r["customer_churn_rate"]!.GetValue<decimal>(), r["gross_mrr_churn_rate"]!.GetValue<decimal>(), r["net_revenue_retention"]!.GetValue<decimal>(), r["gross_revenue_retention"]!.GetValue<decimal>())
            .ShouldBe((0.5m, 0.454545m, 0.545455m, 0.545455m));
        (r["arpa"]!.GetValue<long>(), r["quick_ratio"]!.GetValue<decimal>(), r["movements"]!["churn"]!.GetValue<long>()).ShouldBe((3000L, 0m, 2500L));
        // LTV: ARPA over the average churn of the trailing months with paying customers (March 0.5, February 0).
        (r["ltv"]!.GetValue<long>(), r["ltv_monthly_churn_rate"]!.GetValue<decimal>(), r["ltv_basis"]!.GetValue<string>()).ShouldBe((12_000L, 0.25m, "churn"));
        r["signups_per_day"]!.AsArray().Count.ShouldBe(31);

        // January's cohort: Ada and Bob; Bob gone in March, back in April.
        var cohorts = await server.Admin.GetAsync($"/api/v1/analytics/cohorts?from={Q(At(1, 1))}&to={Q(At(4, 15))}&currency={currency}");
        cohorts.Status.ShouldBe(HttpStatusCode.OK, cohorts.Body?.ToJsonString());
        var january = cohorts.Data.ShouldHaveSingleItem()!;
        (january["month"]!.GetValue<string>(), january["customers"]!.GetValue<int>(), january["mrr"]!.GetValue<long>()).ShouldBe(("2031-01", 2, 3500L));
        january["retention"]!.AsArray().Select(m => (m!["month"]!.GetValue<int>(), m["customers"]!.GetValue<int>(), m["mrr"]!.GetValue<long>()))
            .ShouldBe([(0, 2, 3500L), (1, 2, 5500L), (2, 1, 3000L), (3, 2, 4000L)]);

        // Bob's own story, as of the clock's time: back on basic, and quiet on the gateway.
        var story = await server.Admin.GetAsync($"/api/v1/analytics/customers/{bob}");
        story.Status.ShouldBe(HttpStatusCode.OK, story.Body?.ToJsonString());
        story.Body!["mrr"]![currency]!.GetValue<long>().ShouldBe(1000);
        story.Body!["movements"]!.AsArray().Select(m => m!["kind"]!.GetValue<string>()).ShouldBe(["new", "churn", "reactivation"]);
        var health = story.Body!["health"]!;
        health["signals"]!.AsArray().Single(s => s!["name"]!.GetValue<string>() == "days_since_last_request")!["contribution"]!.GetValue<int>().ShouldBe(-20);
        (health["score"]!.GetValue<int>(), health["churn_risk"]!.GetValue<string>()).ShouldBe((80, "low"));
        (await server.Admin.GetAsync("/api/v1/analytics/customers/cus_nobody")).Status.ShouldBe(HttpStatusCode.NotFound);

        // The same as CSV.
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", server.AdminKey);
        var csv = await http.GetAsync($"/api/v1/analytics/mrr?from={Q(At(1, 1))}&to={Q(At(5, 1))}&currency={currency}&format=csv");
        csv.Content.Headers.ContentType!.MediaType.ShouldBe("text/csv");
        var lines = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        lines[0].ShouldBe("start,end,currency,mrr,arr,customers,new,expansion,contraction,churn,reactivation");
        lines[3].ShouldBe("2031-03-01T00:00:00Z,2031-04-01T00:00:00Z,SEK,3000,36000,1,0,0,0,2500,0");
    }

    [Fact]
    public async Task Trials_that_end_and_free_customers_that_come_to_pay_are_counted_as_conversions()
    {
        var currency = "DKK";
        static DateTimeOffset On(int month, int day) => new(2032, month, day, 0, 0, 0, TimeSpan.Zero);
        var (free, paid) = ($"cvf_{Guid.NewGuid():N}"[..20], $"cvp_{Guid.NewGuid():N}"[..20]);
        object Plan(string code, long amount) => new { code, name = code, prices = new[] { new { interval = "month", currency, amount } } };
        (await server.TestAdmin.PostAsync("/api/v1/catalog/apply", new { plans = new[] { Plan(free, 0), Plan(paid, 5000) } })).Status.ShouldBe(HttpStatusCode.OK);
        var clock = (await server.TestAdmin.PostAsync("/api/v1/test-clocks", new { frozen_time = On(1, 1) })).Id;
        async Task<string> CustomerAsync(string name) => (await server.TestAdmin.PostAsync("/api/v1/customers", new { name, test_clock_id = clock })).Id;
        async Task<string> SubscribeAsync(string customer, string plan, int trialDays)
        {
            var created = await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan, currency, trial_days = trialDays });
            created.Status.ShouldBe(HttpStatusCode.Created, created.Body?.ToJsonString());
            return created.Id;
        }

        var (cleo, dan, eve) = (await CustomerAsync("Cleo"), await CustomerAsync("Dan"), await CustomerAsync("Eve"));
        await SubscribeAsync(cleo, paid, 14); // converts when the trial ends
        var dans = await SubscribeAsync(dan, paid, 14); // leaves during it
        var eves = await SubscribeAsync(eve, free, 0);
        await server.TestAdmin.AdvanceClockAsync(clock, On(1, 10));
        (await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{dans}/cancel", new { at = "now" })).Status.ShouldBe(HttpStatusCode.OK);
        await server.TestAdmin.AdvanceClockAsync(clock, On(1, 20));
        (await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{eves}/change", new { plan = paid, proration = "none" })).Status.ShouldBe(HttpStatusCode.OK);
        await server.TestAdmin.AdvanceClockAsync(clock, On(2, 1));

        var january = (await server.Admin.GetAsync($"/api/v1/analytics/metrics?from={Q(On(1, 2))}&to={Q(On(2, 1))}&currency={currency}")).Body!;
        (january["trials_ended"]!.GetValue<int>(), january["trials_converted"]!.GetValue<int>(), january["trial_to_paid_conversion"]!.GetValue<decimal>())
            .ShouldBe((2, 1, 0.5m), "Cleo's and Dan's trials ended in January (Dan's when he left); Cleo's went on to pay");
        (january["free_customers_start"]!.GetValue<int>(), january["free_converted"]!.GetValue<int>(), january["free_to_paid_conversion"]!.GetValue<decimal>())
            .ShouldBe((1, 1, 1m), "Eve, free at the start, came to pay");
    }

    [Fact]
    public async Task Every_currency_in_the_reporting_currency_at_the_rate_of_each_periods_end_with_what_the_rates_moved()
    {
        static DateTimeOffset On(int month, int day) => new(2033, month, day, 0, 0, 0, TimeSpan.Zero);
        var window = $"from={Q(On(1, 1))}&to={Q(On(4, 1))}&interval=month&currency=all";
        async Task<HttpStatusCode> RateAsync(string currency, decimal rate, DateTimeOffset from) =>
            (await server.Admin.PostAsync("/api/v1/analytics/exchange-rates", new { currency, rate, valid_from = from })).Status;

        var plan = $"fx_{Guid.NewGuid():N}"[..20];
        (await server.TestAdmin.PostAsync("/api/v1/catalog/apply", new
        {
            plans = new[] { new { code = plan, name = "Swiss", prices = new[] { new { interval = "month", currency = "CHF", amount = 10_000 } } } },
        })).Status.ShouldBe(HttpStatusCode.OK);
        var clock = (await server.TestAdmin.PostAsync("/api/v1/test-clocks", new { frozen_time = On(1, 5) })).Id;
        var customer = (await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "Zürich", test_clock_id = clock })).Id;
        (await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan, currency = "CHF", trial_days = 0 })).Status.ShouldBe(HttpStatusCode.Created);

        // A currency without a rate is named, never left out or added as if it were dollars.
        (await RateAsync("CHF", 1.10m, On(1, 1))).ShouldBe(HttpStatusCode.Created);
        (await RateAsync("CHF", 1.20m, On(2, 1))).ShouldBe(HttpStatusCode.Created);
        ApiResponse report = null!;
        for (var missing = 0; missing < 20; missing++)
        {
            report = await server.Admin.GetAsync($"/api/v1/analytics/mrr?{window}");
            if (report.Status == HttpStatusCode.OK) break;
            report.Status.ShouldBe(HttpStatusCode.BadRequest, report.Body?.ToJsonString());
            var other = System.Text.RegularExpressions.Regex.Match(report.Body!.ToJsonString(), "exchange rate for ([A-Z]{3})").Groups[1].Value;
            (await RateAsync(other, 1m, new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero))).ShouldBe(HttpStatusCode.Created); // the other tests' currencies, at par
        }

        report.Status.ShouldBe(HttpStatusCode.OK);
        report.Body!["currency"]!.GetValue<string>().ShouldBe("USD");
        var periods = report.Data.Select(p => p!).ToList();
        (periods[0]["movements"]!["new"]!.GetValue<long>(), periods[0]["fx_adjustment"]!.GetValue<long>()).ShouldBe((11_000L, 0L), "CHF 100.00 at 1.10 in January");
        periods[1]["fx_adjustment"]!.GetValue<long>().ShouldBe(1_000L, "at 1.20 from February: the franc's rise, not a movement");
        for (var i = 1; i < periods.Count; i++)
        {
            var m = periods[i]["movements"]!;
            periods[i]["mrr"]!.GetValue<long>().ShouldBe(periods[i - 1]["mrr"]!.GetValue<long>() + m["new"]!.GetValue<long>() + m["expansion"]!.GetValue<long>()
                + m["reactivation"]!.GetValue<long>() - m["contraction"]!.GetValue<long>() - m["churn"]!.GetValue<long>() + periods[i]["fx_adjustment"]!.GetValue<long>());
        }

        (await RateAsync("USD", 1m, On(1, 1))).ShouldBe(HttpStatusCode.BadRequest, "the reporting currency's rate is 1");
        (await RateAsync("CHF", 0m, On(1, 1))).ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Rates_and_cohorts_of_every_currency_count_a_customer_paying_in_two_once_and_its_leaving_one_as_contraction()
    {
        static DateTimeOffset On(int month, int day) => new(2035, month, day, 0, 0, 0, TimeSpan.Zero);
        var plans = new[] { ("PLN", 10_000L), ("CZK", 100_000L) }.Select(p => new { code = $"two_{p.Item1.ToLowerInvariant()}_{Guid.NewGuid():N}"[..20], currency = p.Item1, amount = p.Item2 }).ToList();
        (await server.TestAdmin.PostAsync("/api/v1/catalog/apply", new
        {
            plans = plans.Select(p => new { p.code, name = p.currency, prices = new[] { new { interval = "month", p.currency, p.amount } } }).ToArray(),
        })).Status.ShouldBe(HttpStatusCode.OK);
        (await server.Admin.PostAsync("/api/v1/analytics/exchange-rates", new { currency = "PLN", rate = 0.25m, valid_from = On(1, 1) })).Status.ShouldBe(HttpStatusCode.Created);
        (await server.Admin.PostAsync("/api/v1/analytics/exchange-rates", new { currency = "CZK", rate = 0.04m, valid_from = On(1, 1) })).Status.ShouldBe(HttpStatusCode.Created);
        var clock = (await server.TestAdmin.PostAsync("/api/v1/test-clocks", new { frozen_time = On(3, 5) })).Id;
        async Task<string> SubscribeAsync(string customer, int plan) =>
            (await server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan = plans[plan].code, currency = plans[plan].currency, trial_days = 0 })).Id;
        var both = (await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "Kraków and Brno", test_clock_id = clock })).Id;
        var one = (await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "Gdańsk", test_clock_id = clock })).Id;
        await SubscribeAsync(both, 0); // zł100.00: $25.00
        var czech = await SubscribeAsync(both, 1); // Kč1,000.00: $40.00
        await SubscribeAsync(one, 0); // $25.00
        await server.TestAdmin.AdvanceClockAsync(clock, On(4, 10));
        (await server.TestAdmin.PostAsync($"/api/v1/subscriptions/{czech}/cancel", new { at = "now" })).Status.ShouldBe(HttpStatusCode.OK);

        // The other tests' currencies at par, so that every currency has a rate; then the reports of every currency.
        async Task<ApiResponse> AllAsync(string url)
        {
            for (var missing = 0; ; missing++)
            {
                var report = await server.Admin.GetAsync(url);
                if (report.Status == HttpStatusCode.OK || missing == 20) return report;
                var other = System.Text.RegularExpressions.Regex.Match(report.Body!.ToJsonString(), "exchange rate for ([A-Z]{3})").Groups[1].Value;
                other.ShouldNotBeEmpty(report.Body!.ToJsonString());
                (await server.Admin.PostAsync("/api/v1/analytics/exchange-rates", new { currency = other, rate = 1m, valid_from = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero) })).Status.ShouldBe(HttpStatusCode.Created);
            }
        }

        var march = await AllAsync($"/api/v1/analytics/metrics?from={Q(On(3, 1))}&to={Q(On(4, 1))}&currency=all");
        march.Status.ShouldBe(HttpStatusCode.OK, march.Body?.ToJsonString());
        march.Body!["currency"]!.GetValue<string>().ShouldBe("USD");
        march.Body!["converted_from"]!.AsArray().Select(c => c!.GetValue<string>()).ShouldContain("CZK");
        march.Body!["movements"]!["new"]!.GetValue<long>().ShouldBe(9_000L);
        (march.Body!["customers_end"]!.GetValue<int>() - march.Body!["customers_start"]!.GetValue<int>()).ShouldBe(2, "two customers, one of them in two currencies");
        var april = await AllAsync($"/api/v1/analytics/metrics?from={Q(On(4, 1))}&to={Q(On(5, 1))}&currency=all");
        Moves(april.Body!).ShouldBe((0L, 0L, 4_000L, 0L, 0L), "leaving Kč while paying in zł is a contraction of the customer");
        april.Body!["churned_customers"]!.GetValue<int>().ShouldBe(0);

        var alone = await server.Admin.GetAsync($"/api/v1/analytics/metrics?from={Q(On(4, 1))}&to={Q(On(5, 1))}&currency=CZK");
        Moves(alone.Body!).ShouldBe((0L, 0L, 0L, 100_000L, 0L), "in korunas alone it is churn");
        var signups = await server.Admin.GetAsync($"/api/v1/analytics/metrics?from={Q(On(3, 1))}&to={Q(On(4, 1))}&currency=PLN");
        signups.Body!["signups"]!.GetValue<long>().ShouldBe(2L, "customers on a test clock sign up at its time");

        var cohorts = await AllAsync($"/api/v1/analytics/cohorts?from={Q(On(3, 1))}&to={Q(On(5, 1))}&currency=all");
        var cohort = cohorts.Data.Single(c => c!["month"]!.GetValue<string>() == "2035-03")!;
        (cohort["customers"]!.GetValue<int>(), cohort["mrr"]!.GetValue<long>()).ShouldBe((2, 9_000L));
        var retention = cohort["retention"]!.AsArray();
        (retention[1]!["customers"]!.GetValue<int>(), retention[1]!["mrr"]!.GetValue<long>()).ShouldBe((2, 5_000L));

        var mrr = await AllAsync($"/api/v1/analytics/mrr?from={Q(On(2, 1))}&to={Q(On(4, 1))}&interval=month&currency=all");
        var periods = mrr.Data.Select(p => p!["customers"]!.GetValue<int>()).ToList();
        (periods[1] - periods[0]).ShouldBe(2, "paying customers counted once in every currency's MRR, too");
    }

    [Fact]
    public async Task A_subscription_event_that_cannot_be_read_is_set_aside_with_its_error_and_the_reports_go_on()
    {
        var id = Tollgate.Common.Ids.New(Tollgate.Storage.Outbox.MessagePrefix, server.Clock);
        var database = server.Get<Tollgate.Storage.Database>();
        await database.InTransactionAsync(async (connection, tx) =>
        {
            await Tollgate.Storage.Outbox.WriteAsync(tx, id, "subscription.updated", null, new { id = 5, status = "unheard_of" }, server.Clock.GetUtcNow());
            // Counted as delivered: a damaged row for analytics alone, never sent to the other tests' webhook receivers.
            await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE outbox SET delivered_at = created_at WHERE id = @id", new { id }, tx);
            return 0;
        });

        (await server.Admin.GetAsync("/api/v1/analytics/mrr?currency=USD")).Status.ShouldBe(HttpStatusCode.OK);
        (await server.Admin.GetAsync("/api/v1/analytics/mrr?currency=USD")).Status.ShouldBe(HttpStatusCode.OK, "and again: the event is not read over and over");
        await using var connection = await database.OpenAsync();
        var row = await Dapper.SqlMapper.QuerySingleAsync<(DateTimeOffset? AnalyzedAt, string? Error)>(connection, "SELECT analyzed_at, analysis_error FROM outbox WHERE id = @id", new { id });
        row.AnalyzedAt.ShouldNotBeNull();
        row.Error.ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task A_report_that_cannot_be_made_is_a_400_with_its_reason()
    {
        (await server.Admin.GetAsync("/api/v1/analytics/mrr?interval=hour")).Status.ShouldBe(HttpStatusCode.BadRequest);
        (await server.Admin.GetAsync("/api/v1/analytics/mrr?from=2031-02-01T00:00:00Z&to=2031-01-01T00:00:00Z")).Status.ShouldBe(HttpStatusCode.BadRequest);
        (await server.Admin.GetAsync("/api/v1/analytics/mrr?from=2001-01-01T00:00:00Z&to=2031-01-01T00:00:00Z&interval=day&currency=USD")).Status.ShouldBe(HttpStatusCode.BadRequest);
        (await server.Admin.GetAsync("/api/v1/analytics/mrr?currency=dollars")).Status.ShouldBe(HttpStatusCode.BadRequest);
        (await server.Admin.GetAsync("/api/v1/analytics/mrr/movements?kind=growth&currency=USD")).Status.ShouldBe(HttpStatusCode.BadRequest);
        (await server.Admin.GetAsync("/api/v1/analytics/mrr?to=9999-12-31T12:00:00Z&interval=month&currency=USD")).Status.ShouldBe(HttpStatusCode.BadRequest);
        (await server.Admin.GetAsync("/api/v1/analytics/cohorts?to=9000-01-01T00:00:00Z&currency=USD")).Status.ShouldBe(HttpStatusCode.BadRequest);
        (await server.Admin.GetAsync("/api/v1/analytics/metrics?to=0001-03-01T00:00:00Z&currency=USD")).Status.ShouldBe(HttpStatusCode.BadRequest);
        (await server.Client(null).GetAsync("/api/v1/analytics/mrr?currency=USD")).Status.ShouldBe(HttpStatusCode.Unauthorized);
    }

    static (long, long, long, long, long) Moves(JsonNode period)
    {
        var m = period["movements"]!;
        return (m["new"]!.GetValue<long>(), m["expansion"]!.GetValue<long>(), m["contraction"]!.GetValue<long>(), m["churn"]!.GetValue<long>(), m["reactivation"]!.GetValue<long>());
    }
}

[Collection(SqliteCollection.Name)]
public sealed class MrrOnSqlite(SqliteServer server) : MrrTests(server);

[Collection(PostgresCollection.Name)]
public sealed class MrrOnPostgres(PostgresServer server) : MrrTests(server);
