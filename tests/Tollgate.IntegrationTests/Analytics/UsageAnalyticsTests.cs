using Tollgate.Gateway.Usage;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Analytics;

/// <summary>The gateway's usage records, as its own store writes them, added up over HTTP by model, day and key, with cost, charge and margin.</summary>
public abstract class UsageAnalyticsTests(TollgateServer server)
{
    [Fact]
    public async Task Usage_is_grouped_by_model_and_day_with_its_cost_charge_and_margin()
    {
        var customer = (await server.Admin.PostAsync("/api/v1/customers", new { name = "Margins" })).Id;
        var day = new DateTimeOffset(2031, 6, 1, 12, 0, 0, TimeSpan.Zero);
        UsageRecord Record(string model, int dayOffset, long input, long output, long cost, long charge) => new()
        {
            Id = $"req_{Guid.NewGuid():N}", CustomerId = customer, KeyId = "key_margins", Mode = "live", Operation = "chat.completions", RequestedModel = model,
            ServedModel = model, Provider = "openai", InputTokens = input, OutputTokens = output, Status = "succeeded", HttpStatus = 200, Attempts = 1,
            CostNanos = cost, ChargeNanos = charge, PriceVersion = "v1", CreatedAt = day.AddDays(dayOffset),
        };
        await server.Get<UsageStore>().InsertAsync(
        [
            Record("gpt-4o-mini", 0, 100, 20, 1_000, 1_500),
            Record("gpt-4o-mini", 0, 300, 40, 3_000, 4_500),
            Record("gpt-4o", 0, 50, 10, 10_000, 12_000),
            Record("gpt-4o-mini", 1, 10, 2, 100, 150),
            Record("gpt-4o-mini", 3, 10, 2, 100, 150), // outside the window
        ], CancellationToken.None);
        string Q(DateTimeOffset at) => Uri.EscapeDataString(at.ToString("O"));
        var window = $"from={Q(day.Date)}&to={Q(day.Date.AddDays(2))}&customer_id={customer}";

        var report = await server.Admin.GetAsync($"/api/v1/analytics/usage?group_by=model,day&{window}");
        report.Status.ShouldBe(HttpStatusCode.OK, report.Body?.ToJsonString());
        report.Data.Select(g => (g!["group"]!["model"]!.GetValue<string>(), g["group"]!["day"]!.GetValue<string>(), g["requests"]!.GetValue<long>(),
                g["input_tokens"]!.GetValue<long>(), g["cost_nanos"]!.GetValue<long>(), g["charge_nanos"]!.GetValue<long>(), g["margin_nanos"]!.GetValue<long>()))
            .ShouldBe(
            [
                ("gpt-4o", "2031-06-01", 1L, 50L, 10_000L, 12_000L, 2_000L),
                ("gpt-4o-mini", "2031-06-01", 2L, 400L, 4_000L, 6_000L, 2_000L),
                ("gpt-4o-mini", "2031-06-02", 1L, 10L, 100L, 150L, 50L),
            ]);
        report.Data[1]!["margin_rate"]!.GetValue<decimal>().ShouldBe(0.333333m);

        var total = (await server.Admin.GetAsync($"/api/v1/analytics/usage?{window}")).Data.ShouldHaveSingleItem()!;
        (total["requests"]!.GetValue<long>(), total["cost_nanos"]!.GetValue<long>(), total["margin_nanos"]!.GetValue<long>()).ShouldBe((4L, 14_100L, 4_050L));

        (await server.Admin.GetAsync($"/api/v1/analytics/usage?group_by=colour&{window}")).Status.ShouldBe(HttpStatusCode.BadRequest);
        (await server.Admin.GetAsync($"/api/v1/analytics/usage?group_by=model,model&{window}")).Status.ShouldBe(HttpStatusCode.BadRequest);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class UsageAnalyticsOnSqlite(SqliteServer server) : UsageAnalyticsTests(server);

[Collection(PostgresCollection.Name)]
public sealed class UsageAnalyticsOnPostgres(PostgresServer server) : UsageAnalyticsTests(server);
