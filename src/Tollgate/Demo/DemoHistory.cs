using Dapper;
using Tollgate.Analytics.Goals;
using Tollgate.Billing.Dunning;
using Tollgate.Billing.Runs;
using Tollgate.Billing.Subscriptions;
using Tollgate.Billing.TestClocks;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Customers;
using Tollgate.Gateway.Usage;
using Tollgate.Storage;

namespace Tollgate.Demo;

/// <summary>
/// A year of the answer engine's business, so that every report of the demo has something true to show: on a test
/// clock set a year back, week by week, customers sign up (more as the months go by) on the free plan, on Pro or Team
/// with their trials, or on Enterprise; some upgrade, downgrade or cancel, some of those who left come back; invoices
/// are paid, a few late; paying customers send gateway traffic with its model costs; then the clock has reached now.
/// All of it through the billing engine's own services, drawn from a fixed seed, so every run makes the same history.
/// Made once: a database whose history clock exists is left as it is. The seeds' milestones become the goals.
/// </summary>
public sealed class DemoHistory(
    TestClockService clocks, CustomerStore customers, SubscriptionStore subscriptions, InvoiceRunner runner, DunningService dunning, UsageStore usage,
    GoalStore goals, Database database, TimeProvider time)
{
    public const string ClockName = "Demo history";
    const int Seed = 2026;
    static readonly Actor Demo = new("demo", null, null);
    static readonly string[] Countries = ["US", "US", "US", "IN", "DE", "GB", "FR", "BR"];
    static readonly string[] Models = ["gpt-4o-mini", "gpt-4o", "claude-3-5-haiku"];

    public async Task<bool> SeedAsync(CancellationToken ct)
    {
        if ((await clocks.ListAsync(ct)).Any(c => c.Name == ClockName)) return false;
        var now = time.GetUtcNow();
        var at = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(-364);
        var clock = (await clocks.CreateAsync(new CreateTestClockRequest(at, ClockName), Demo, ct)).Value;
        var random = new Random(Seed);
        var live = new List<(string Customer, string Subscription, string Plan)>();
        var gone = new List<string>();
        var number = 0;
        for (var week = 0; week < 52; week++)
        {
            for (var signups = 1 + week / 6 + random.Next(0, 3); signups > 0; signups--)
            {
                var customer = (await customers.CreateAsync(
                    new CreateCustomerRequest($"Customer {++number:D3}", $"demo_history_{number:D3}", $"owner{number:D3}@customers.example", Countries[random.Next(Countries.Length)],
                        Currency: "USD", TestClockId: clock.Id), Demo, ct)).Value; // the catalog's prices are in dollars
                var roll = random.Next(100);
                var plan = roll < 45 ? "free" : roll < 80 ? "pro" : roll < 96 ? "team" : "enterprise";
                var yearly = plan != "free" && random.Next(100) < 15;
                var trial = plan is "pro" or "team" ? random.Next(100) < 60 ? (int?)null : 0 : null;
                var subscribed = await subscriptions.CreateAsync(
                    new CreateSubscriptionRequest(customer.Id, plan, yearly ? BillingInterval.Year : BillingInterval.Month, TrialDays: trial), Demo, ct);
                if (!subscribed.IsOk) throw new InvalidOperationException($"The demo history could not subscribe {customer.Id} to {plan}: {subscribed.Error.Message}");
                live.Add((customer.Id, subscribed.Value.Id, plan));
            }

            await LiveAWeekAsync(random, live, gone, ct);
            await UsageAsync(random, live, at, ct);
            at = at.AddDays(7);
            if (at > now) at = now;
            await clocks.AdvanceAsync(clock.Id, new AdvanceTestClockRequest(at), Demo, ct);
            await PayAsync(random, clock.Id, ct);
        }

        await GoalsAsync(now, ct);
        return true;
    }

    /// <summary>A week of changes: about 2 % cancel, 2 % upgrade, 1 % downgrade; a twentieth of those gone come back.</summary>
    async Task LiveAWeekAsync(Random random, List<(string Customer, string Subscription, string Plan)> live, List<string> gone, CancellationToken ct)
    {
        for (var i = live.Count - 1; i >= 0; i--)
        {
            var (customer, subscription, plan) = live[i];
            var roll = random.Next(1000);
            string? to = roll < 20 ? null : roll < 40 ? Up(plan) : roll < 50 ? Down(plan) : plan;
            if (to == plan) continue;
            await runner.BillDueAsync(subscription, Demo, ct);
            if (to is null)
            {
                if ((await runner.CancelNowAsync(subscription, new CancelSubscriptionRequest(CancelTiming.Now, "demo: moved on"), Demo, ct)).IsOk)
                {
                    live.RemoveAt(i);
                    gone.Add(customer);
                }
            }
            else if ((await subscriptions.ChangeAsync(subscription, new ChangeSubscriptionRequest(Plan: to, Proration: ProrationBehavior.None), Demo, ct)).IsOk)
            {
                live[i] = (customer, subscription, to);
            }
        }

        for (var i = gone.Count - 1; i >= 0; i--)
        {
            if (random.Next(100) >= 5) continue;
            var back = await subscriptions.CreateAsync(new CreateSubscriptionRequest(gone[i], "pro", TrialDays: 0), Demo, ct);
            if (!back.IsOk) continue;
            live.Add((gone[i], back.Value.Id, "pro"));
            gone.RemoveAt(i);
        }
    }

    static string Up(string plan) => plan switch { "free" => "pro", "pro" => "team", "team" => "enterprise", _ => plan };

    static string Down(string plan) => plan switch { "enterprise" => "team", "team" => "pro", _ => plan };

    /// <summary>A week's gateway traffic of every customer: a few usage records, more on the bigger plans.</summary>
    async Task UsageAsync(Random random, List<(string Customer, string Subscription, string Plan)> live, DateTimeOffset week, CancellationToken ct)
    {
        var records = new List<UsageRecord>();
        foreach (var (customer, _, plan) in live)
        {
            var requests = plan switch { "free" => 1, "pro" => 3, "team" => 6, _ => 10 } + random.Next(0, 3);
            for (var r = 0; r < requests; r++)
            {
                var model = Models[random.Next(Models.Length)];
                var (input, output) = (random.Next(200, 4000), random.Next(50, 1200));
                var cost = model == "gpt-4o" ? input * 2_500L + output * 10_000L : input * 150L + output * 600L;
                records.Add(new UsageRecord
                {
                    Id = $"req_demo_{customer}_{week.UtcTicks}_{r}", CustomerId = customer, KeyId = "key_demo_history", Mode = "test", Operation = "chat.completions",
                    RequestedModel = model, ServedModel = model, Provider = model.StartsWith("claude", StringComparison.Ordinal) ? "anthropic" : "openai",
                    InputTokens = input, OutputTokens = output, Status = "succeeded", HttpStatus = 200, Attempts = 1, LatencyMs = random.Next(300, 2500),
                    CostNanos = cost, ChargeNanos = cost * 3 / 2, PriceVersion = "demo", CreatedAt = week.AddMinutes(random.Next(0, 7 * 24 * 60)),
                });
            }
        }

        if (records.Count > 0) await usage.InsertAsync(records, ct);
    }

    /// <summary>Pays the clock's open invoices, all but about one in twelve, which stay open for the dunning.</summary>
    async Task PayAsync(Random random, string clockId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var open = (await connection.QueryAsync<string>(
            "SELECT i.id FROM invoices i JOIN customers c ON c.id = i.customer_id WHERE c.test_clock_id = @clockId AND i.status = 'open' ORDER BY i.id", new { clockId })).ToList();
        foreach (var id in open)
        {
            if (random.Next(12) == 0) continue;
            await dunning.PayAsync(id, Demo, ct);
        }
    }

    /// <summary>The seeds' milestones: the first 100 paid users, $10k MRR, $1M ARR.</summary>
    async Task GoalsAsync(DateTimeOffset now, CancellationToken ct)
    {
        await goals.CreateAsync(new CreateGoalRequest("First 100 paid users", GoalMetric.PayingCustomers, 100, now.AddMonths(3), "USD"), ct);
        await goals.CreateAsync(new CreateGoalRequest("$10k MRR", GoalMetric.Mrr, 1_000_000, now.AddMonths(6), "USD"), ct);
        await goals.CreateAsync(new CreateGoalRequest("$1M ARR", GoalMetric.Arr, 100_000_000, now.AddMonths(24), "USD"), ct);
    }
}
