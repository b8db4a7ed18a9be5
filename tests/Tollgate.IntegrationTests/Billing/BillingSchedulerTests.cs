using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Billing;

/// <summary>A server left to itself bills on schedule: no one calls <c>POST /api/v1/invoice-runs</c> here.</summary>
public abstract class BillingSchedulerTests
{
    protected abstract TollgateServer Create();

    [Fact]
    public async Task A_period_that_ended_is_billed_by_the_scheduled_run_without_being_asked()
    {
        var server = Create();
        await server.InitializeAsync();
        try
        {
            await server.Admin.PostAsync("/api/v1/plans", new { code = "scheduled", name = "Scheduled", version = new { prices = new[] { new { interval = "month", currency = "USD", amount = 1500 } } }, publish = true });
            var customer = (await server.Admin.PostAsync("/api/v1/customers", new { name = "Left alone" })).Body!["id"]!.GetValue<string>();
            var subscription = (await server.Admin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan = "scheduled" })).Body!["id"]!.GetValue<string>();

            server.Clock.Advance(TimeSpan.FromDays(31)); // the hourly run's timer fires on the way
            var deadline = System.Diagnostics.Stopwatch.StartNew();
            var count = 0;
            while (deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                count = (await server.Admin.GetAsync($"/api/v1/invoices?subscription_id={subscription}")).Body!["data"]!.AsArray().Count;
                if (count == 2) break;
                await Task.Delay(20); // real time for the background run to finish; the clock under test does not move
            }

            count.ShouldBe(2, "the first period's invoice, and the renewal the scheduled run made");
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    sealed class Scheduled(bool postgres) : TollgateServer
    {
        readonly string _key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

        protected override string[] Settings => ["--Billing:RunEvery=01:00:00", $"--Secrets:Key={_key}"];

        protected override async Task<ITestDatabase> CreateDatabaseAsync() =>
            postgres ? await PostgresTestDatabase.CreateAsync() : new SqliteTestDatabase();
    }

    public sealed class OnSqlite : BillingSchedulerTests
    {
        protected override TollgateServer Create() => new Scheduled(postgres: false);
    }

    public sealed class OnPostgres : BillingSchedulerTests
    {
        protected override TollgateServer Create() => new Scheduled(postgres: true);
    }
}
