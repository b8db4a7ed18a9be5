using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Analytics;

/// <summary>Goals over HTTP: set, shown with their progress and forecast, refused when they cannot be goals, deleted.</summary>
public abstract class GoalTests(TollgateServer server)
{
    [Fact]
    public async Task A_goal_is_set_shown_with_its_progress_and_deleted()
    {
        var due = server.Clock.GetUtcNow().AddDays(91.3125);
        var mrr = await server.Admin.PostAsync("/api/v1/analytics/goals", new { name = "$1,500 MRR", metric = "mrr", target = 150_000, currency = "nok", due_at = due });
        mrr.Status.ShouldBe(HttpStatusCode.Created, mrr.Body?.ToJsonString());
        var churn = await server.Admin.PostAsync("/api/v1/analytics/goals", new { name = "Churn under 3 %", metric = "customer_churn_rate", target = 0.03, currency = "NOK", due_at = due });
        churn.Status.ShouldBe(HttpStatusCode.Created, churn.Body?.ToJsonString());

        var listed = (await server.Admin.GetAsync("/api/v1/analytics/goals")).Data;
        var revenue = listed.Single(g => g!["id"]!.GetValue<string>() == mrr.Id)!;
        (revenue["currency"]!.GetValue<string>(), revenue["current"]!.GetValue<decimal>(), revenue["progress"]!.GetValue<decimal>(), revenue["required_per_month"]!.GetValue<decimal>(),
            revenue["on_track"]!.GetValue<bool>(), revenue["met"]!.GetValue<bool>()).ShouldBe(("NOK", 0m, 0m, 50_000m, false, false));
        var staying = listed.Single(g => g!["id"]!.GetValue<string>() == churn.Id)!;
        (staying["current"]!.GetValue<decimal>(), staying["on_track"]!.GetValue<bool>(), staying["met"]!.GetValue<bool>()).ShouldBe((0m, true, true));

        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", server.AdminKey);
        var csv = (await http.GetStringAsync("/api/v1/analytics/goals?format=csv")).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        csv[0].ShouldBe("id,name,metric,currency,target,due_at,current,progress,required_per_month,trend_per_month,forecast,on_track,met");
        csv.Single(l => l.StartsWith(mrr.Id, StringComparison.Ordinal)).ShouldContain(",mrr,NOK,150000,");

        (await server.Admin.DeleteAsync($"/api/v1/analytics/goals/{mrr.Id}")).Status.ShouldBe(HttpStatusCode.NoContent);
        (await server.Admin.DeleteAsync($"/api/v1/analytics/goals/{mrr.Id}")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await server.Admin.DeleteAsync($"/api/v1/analytics/goals/{churn.Id}")).Status.ShouldBe(HttpStatusCode.NoContent);
    }

    [Theory]
    [InlineData("customer_churn_rate", 3.0, "USD")]
    [InlineData("mrr", -1.0, "USD")]
    [InlineData("mrr", 10.5, "USD")]
    [InlineData("paying_customers", 100.0, "dollars")]
    public async Task What_cannot_be_a_goal_is_a_400(string metric, double target, string currency) =>
        (await server.Admin.PostAsync("/api/v1/analytics/goals", new { name = "no", metric, target, currency, due_at = server.Clock.GetUtcNow().AddDays(30) }))
            .Status.ShouldBe(HttpStatusCode.BadRequest);

    [Fact]
    public async Task An_unknown_metric_is_a_400() =>
        (await server.Admin.PostAsync("/api/v1/analytics/goals", new { name = "no", metric = "happiness", target = 1, due_at = server.Clock.GetUtcNow().AddDays(30) }))
            .Status.ShouldBe(HttpStatusCode.BadRequest);
}

[Collection(SqliteCollection.Name)]
public sealed class GoalsOnSqlite(SqliteServer server) : GoalTests(server);

[Collection(PostgresCollection.Name)]
public sealed class GoalsOnPostgres(PostgresServer server) : GoalTests(server);
