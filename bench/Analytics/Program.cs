// bench/Analytics: the analytics reports of a running Tollgate over HTTP, on its own database, with a synthetic history
// of subscriptions written straight into it by this process.
//   seed N FROM     adds customers FROM..N-1: each signs up on a day of the two years before now and lives a monthly
//                   life drawn from a fixed seed (plan changes, seats, churn, reactivation); its MRR movements are what
//                   Analytics/Mrr/MrrRules makes of its subscription snapshots, as the projector would store them
//   query RUNS      times GET /analytics/mrr (24 months), /analytics/metrics (the last month, LTV over six) and
//                   /analytics/cohorts, RUNS times each, and prints each one's median and slowest
//   dotnet run -c Release --project bench/Analytics -- <connection string> <tollgate url> <admin key> seed 10000 0
using System.Diagnostics;
using Tollgate.Analytics.Mrr;
using Tollgate.Billing.Subscriptions;
using Tollgate.Catalog;
using Tollgate.Storage;

var (connectionString, tollgate, adminKey, mode) = (args[0], new Uri(args[1]), args[2], args[3]);
var now = DateTimeOffset.UtcNow;

if (mode == "seed")
{
    var (count, from) = (int.Parse(args[4]), int.Parse(args[5]));
    await using var database = new Database(ConnectionTarget.Parse(connectionString));
    var watch = Stopwatch.StartNew();
    var movements = 0;
    for (var batch = from; batch < count; batch += 1000)
    {
        var customers = new List<object[]>();
        var rows = new List<MrrMovement>();
        for (var i = batch; i < Math.Min(count, batch + 1000); i++)
        {
            var random = new Random(i);
            var id = $"cus_bench{i:D7}";
            var signup = now.AddDays(-random.Next(0, 730)).AddSeconds(-random.Next(0, 86_400));
            customers.Add([id, signup]);
            rows.AddRange(MrrRules.Movements(id, Life(id, signup, random)));
        }

        await database.InTransactionAsync(async (connection, tx) =>
        {
            foreach (var c in customers)
            {
                await Dapper.SqlMapper.ExecuteAsync(connection,
                    "INSERT INTO customers (id, name, currency, metadata, created_at, updated_at) VALUES (@id, 'Bench', 'USD', '{}', @at, @at)", new { id = c[0], at = c[1] }, tx);
            }

            foreach (var m in rows)
            {
                await Dapper.SqlMapper.ExecuteAsync(connection,
                    "INSERT INTO mrr_movements (id, customer_id, currency, at, kind, amount, mrr_before, mrr_after) VALUES (@id, @CustomerId, @Currency, @At, @kind, @Amount, @MrrBefore, @MrrAfter)",
                    new { id = $"mrm_{m.At.UtcTicks:D19}_{m.CustomerId}_{m.Currency}", m.CustomerId, m.Currency, m.At, kind = Tollgate.Common.EnumText.Snake(m.Kind), m.Amount, m.MrrBefore, m.MrrAfter }, tx);
            }

            return 0;
        });
        movements += rows.Count;
    }

    Console.WriteLine($"seed: customers {from:N0} to {count:N0}, {movements:N0} movements, in {watch.Elapsed.TotalSeconds:F1} s");
    return;
}

// A customer's subscription snapshots: monthly or yearly at one of three prices, then each month a chance of an upgrade,
// a downgrade, a seat more, churn, or (once churned) coming back.
IEnumerable<MrrSnapshot> Life(string customer, DateTimeOffset signup, Random random)
{
    long[] prices = [1900, 4900, 9900];
    var sub = new Subscription
    {
        Id = $"sub_{customer}_0", CustomerId = customer, Plan = "bench", PlanVersion = 1, Interval = random.Next(5) == 0 ? BillingInterval.Year : BillingInterval.Month,
        Currency = "USD", Quantity = 1, UnitAmount = prices[random.Next(3)], Status = SubscriptionStatus.Active, BillingAnchor = signup, CurrentPeriodStart = signup,
        CurrentPeriodEnd = signup.AddMonths(1), CreatedAt = signup, UpdatedAt = signup,
    };
    if (sub.Interval == BillingInterval.Year) sub = sub with { UnitAmount = sub.UnitAmount * 10 };
    var n = 0;
    yield return new MrrSnapshot($"m{n++}", signup, sub);
    var restarts = 0;
    for (var at = signup.AddMonths(1); at < now; at = at.AddMonths(1))
    {
        var roll = random.Next(100);
        if (sub.Status == SubscriptionStatus.Canceled)
        {
            if (roll < 3)
            {
                sub = sub with { Id = $"sub_{customer}_{++restarts}", Status = SubscriptionStatus.Active };
                yield return new MrrSnapshot($"m{n++}", at, sub);
            }

            continue;
        }

        sub = roll switch
        {
            < 4 => sub with { Status = SubscriptionStatus.Canceled },
            < 8 => sub with { UnitAmount = sub.UnitAmount * 2 },
            < 10 => sub with { UnitAmount = Math.Max(1900, sub.UnitAmount / 2) },
            < 13 => sub with { Quantity = sub.Quantity + 1 },
            _ => sub,
        };
        if (roll < 13) yield return new MrrSnapshot($"m{n++}", at, sub);
    }
}

// query
var runs = int.Parse(args[4]);
using var http = new HttpClient { BaseAddress = tollgate, Timeout = TimeSpan.FromMinutes(5) };
http.DefaultRequestHeaders.Authorization = new("Bearer", adminKey);
var month = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
string Q(DateTimeOffset at) => Uri.EscapeDataString(at.ToString("O"));
(string Name, string Path)[] reports =
[
    ("mrr by month, 24 months", $"/api/v1/analytics/mrr?interval=month&from={Q(month.AddMonths(-23))}&to={Q(now)}&currency=USD"),
    ("metrics, last month + LTV", $"/api/v1/analytics/metrics?from={Q(month.AddMonths(-1))}&to={Q(month)}&currency=USD"),
    ("cohorts, all", "/api/v1/analytics/cohorts?currency=USD"),
];
foreach (var (name, path) in reports)
{
    var times = new List<double>();
    for (var run = 0; run < runs; run++)
    {
        var watch = Stopwatch.StartNew();
        using var answer = await http.GetAsync(path);
        var body = await answer.Content.ReadAsStringAsync();
        if (!answer.IsSuccessStatusCode) throw new InvalidOperationException($"{name}: {(int)answer.StatusCode} {body}");
        times.Add(watch.Elapsed.TotalMilliseconds);
    }

    times.Sort();
    Console.WriteLine($"{name,-28} median {times[times.Count / 2],8:F0} ms   slowest {times[^1],8:F0} ms   ({runs} runs)");
}
