using System.Text.Json.Nodes;
using Tollgate.IntegrationTests.Gateway;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Metering;

/// <summary>Totals over HTTP, computed from the stored events: every aggregation, filter, grouping, window and export.</summary>
public abstract class UsageQueryTests(TollgateServer server)
{
    static string Code(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..20];

    /// <summary>Metrics of every aggregation over one new event code, and their codes.</summary>
    async Task<(string Event, string Count, string Sum, string Max, string Unique, string Latest, string Gpt)> MetricsAsync()
    {
        var ev = Code("ev");
        var codes = (Code("count"), Code("sum"), Code("max"), Code("uniq"), Code("last"), Code("gpt"));
        await PutMetric(codes.Item1, new { name = "Calls", @event = ev, aggregation = "count" });
        await PutMetric(codes.Item2, new { name = "Tokens", @event = ev, aggregation = "sum", field = "tokens" });
        await PutMetric(codes.Item3, new { name = "Largest", @event = ev, aggregation = "max", field = "tokens" });
        await PutMetric(codes.Item4, new { name = "Users", @event = ev, aggregation = "unique_count", field = "user" });
        await PutMetric(codes.Item5, new { name = "Seats", @event = ev, aggregation = "latest", field = "seats" });
        await PutMetric(codes.Item6, new { name = "GPT tokens", @event = ev, aggregation = "sum", field = "tokens", filters = new { model = new[] { "gpt-4o" } } });
        return (ev, codes.Item1, codes.Item2, codes.Item3, codes.Item4, codes.Item5, codes.Item6);
    }

    async Task PutMetric(string code, object body)
    {
        var node = JsonNode.Parse(Tollgate.Common.ApiJson.Serialize(body))!.AsObject();
        node["code"] = code;
        (await server.Admin.PutAsync($"/api/v1/metrics/{code}", node)).Status.ShouldBe(HttpStatusCode.OK);
    }

    async Task SendAsync(string customerId, params object[] events)
    {
        var batch = await server.Admin.PostAsync("/api/v1/events/batch", new { events });
        batch.Status.ShouldBe(HttpStatusCode.OK);
        batch.Body!["accepted"]!.GetValue<int>().ShouldBe(events.Length);
    }

    static object Event(string code, string customerId, DateTimeOffset at, string model, long tokens, string user, object? seats = null) =>
        new { id = Guid.NewGuid().ToString("N"), code, customer_id = customerId, timestamp = at, properties = new { model, tokens, user, seats } };

    string Window(DateTimeOffset from, DateTimeOffset to) => $"from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(to.ToString("O"))}";

    async Task<ApiResponse> UsageAsync(string query, ApiClient? client = null)
    {
        var answer = await (client ?? server.Admin).GetAsync($"/api/v1/usage?{query}");
        answer.Status.ShouldBe(HttpStatusCode.OK, answer.Body?.ToJsonString());
        return answer;
    }

    static decimal? Total(ApiResponse answer) => answer.Body!["total"]?.GetValue<decimal>();

    [Fact]
    public async Task Every_aggregation_adds_up_the_events_of_the_window()
    {
        var m = await MetricsAsync();
        var customer = await server.CustomerAsync("pro");
        var now = server.Clock.GetUtcNow();
        await SendAsync(customer.Id,
            Event(m.Event, customer.Id, now.AddDays(-3), "gpt-4o", 100, "ann", seats: 3),
            Event(m.Event, customer.Id, now.AddDays(-2), "gpt-4o", 250, "bob", seats: 5),
            Event(m.Event, customer.Id, now.AddDays(-1), "claude", 40, "ann", seats: 4),
            // Outside the window asked for below.
            Event(m.Event, customer.Id, now.AddDays(-10), "gpt-4o", 1000, "eve", seats: 9));
        var window = Window(now.AddDays(-5), now.AddMinutes(1));

        Total(await UsageAsync($"metric={m.Count}&customer_id={customer.Id}&{window}")).ShouldBe(3);
        Total(await UsageAsync($"metric={m.Sum}&customer_id={customer.Id}&{window}")).ShouldBe(390);
        Total(await UsageAsync($"metric={m.Max}&customer_id={customer.Id}&{window}")).ShouldBe(250);
        Total(await UsageAsync($"metric={m.Unique}&customer_id={customer.Id}&{window}")).ShouldBe(2);
        Total(await UsageAsync($"metric={m.Latest}&customer_id={customer.Id}&{window}")).ShouldBe(4);
        Total(await UsageAsync($"metric={m.Gpt}&customer_id={customer.Id}&{window}")).ShouldBe(350);
        // The wider window takes the old event in; an empty one has nothing, and no max at all.
        Total(await UsageAsync($"metric={m.Sum}&customer_id={customer.Id}&{Window(now.AddDays(-30), now.AddMinutes(1))}")).ShouldBe(1390);
        Total(await UsageAsync($"metric={m.Count}&customer_id={customer.Id}&{Window(now.AddDays(-100), now.AddDays(-50))}")).ShouldBe(0);
        Total(await UsageAsync($"metric={m.Max}&customer_id={customer.Id}&{Window(now.AddDays(-100), now.AddDays(-50))}")).ShouldBeNull();
    }

    [Fact]
    public async Task Usage_is_filtered_grouped_by_property_customer_and_day_and_exported_as_csv()
    {
        var m = await MetricsAsync();
        var first = await server.CustomerAsync("pro");
        var second = await server.CustomerAsync("pro");
        var day = Tollgate.Metering.Queries.Periods.Containing(Tollgate.Catalog.ResetPeriod.Day, server.Clock.GetUtcNow()).Start;
        await SendAsync(first.Id,
            Event(m.Event, first.Id, day.AddDays(-2).AddHours(1), "gpt-4o", 100, "ann"),
            Event(m.Event, first.Id, day.AddDays(-2).AddHours(5), "gpt-4o", 10, "bob"),
            Event(m.Event, first.Id, day.AddDays(-1).AddHours(1), "claude", 7, "ann"),
            Event(m.Event, second.Id, day.AddDays(-1).AddHours(2), "gpt-4o", 1, "zed"));
        var window = Window(day.AddDays(-3), day);

        var byModel = await UsageAsync($"metric={m.Sum}&customer_id={first.Id}&{window}&group_by=model");
        Rows(byModel).ShouldBe(["claude|7", "gpt-4o|110"]);
        Total(byModel).ShouldBe(117);

        var filtered = await UsageAsync($"metric={m.Sum}&{window}&group_by=customer_id&filter[model]=gpt-4o");
        Rows(filtered).Order(StringComparer.Ordinal).ShouldBe(new[] { $"{first.Id}|110", $"{second.Id}|1" }.Order(StringComparer.Ordinal));

        var daily = await UsageAsync($"metric={m.Count}&customer_id={first.Id}&{window}&interval=day");
        daily.Body!["rows"]!.AsArray().Select(r => (r!["start"]!.GetValue<DateTimeOffset>(), r["value"]!.GetValue<decimal>()))
            .ShouldBe([(day.AddDays(-2), 2m), (day.AddDays(-1), 1m)]);

        // Unique users per model: ann and bob on gpt-4o, ann on claude; but the total is 2 people, not 3.
        var unique = await UsageAsync($"metric={m.Unique}&customer_id={first.Id}&{window}&group_by=model");
        Rows(unique).ShouldBe(["claude|1", "gpt-4o|2"]);
        Total(unique).ShouldBe(2);

        var csv = await UsageAsync($"metric={m.Sum}&customer_id={first.Id}&{window}&group_by=model,user&format=csv");
        csv.Raw.Content.Headers.ContentType!.MediaType.ShouldBe("text/csv");
        (await csv.Raw.Content.ReadAsStringAsync()).ShouldBe("model,user,value\r\nclaude,ann,7\r\ngpt-4o,ann,100\r\ngpt-4o,bob,10\r\n");
    }

    static string[] Rows(ApiResponse answer) => answer.Body!["rows"]!.AsArray()
        .Select(r => string.Join('|', r!["group"]!.AsObject().Select(g => g.Value?.GetValue<string>()).Append(r["value"]!.GetValue<decimal>().ToString(System.Globalization.CultureInfo.InvariantCulture))))
        .ToArray();

    [Fact]
    public async Task The_events_behind_a_total_are_listed_and_the_current_period_is_shown_per_customer()
    {
        var m = await MetricsAsync();
        var customer = await server.CustomerAsync("pro");
        var now = server.Clock.GetUtcNow();
        await SendAsync(customer.Id,
            Event(m.Event, customer.Id, now.AddMinutes(-3), "gpt-4o", 5, "ann"),
            Event(m.Event, customer.Id, now.AddMinutes(-2), "claude", 6, "ann"),
            Event(m.Event, customer.Id, now.AddMinutes(-1), "gpt-4o", 7, "bob"));

        var behind = await server.Admin.GetAsync($"/api/v1/events?customer_id={customer.Id}&metric={m.Gpt}");
        behind.Data.Select(e => e!["properties"]!["tokens"]!.GetValue<long>()).Order().ShouldBe([5L, 7L]);
        var byUser = await server.Admin.GetAsync($"/api/v1/events?customer_id={customer.Id}&metric={m.Gpt}&filter[user]=bob");
        byUser.Data.ShouldHaveSingleItem()!["properties"]!["tokens"]!.GetValue<long>().ShouldBe(7);

        var current = await server.Client(customer.Key).GetAsync($"/api/v1/customers/{customer.Id}/usage");
        current.Status.ShouldBe(HttpStatusCode.OK);
        var metrics = current.Body!["metrics"]!.AsArray();
        metrics.Single(x => x!["metric"]!.GetValue<string>() == m.Gpt)!["value"]!.GetValue<decimal>().ShouldBe(12);
        metrics.Single(x => x!["metric"]!.GetValue<string>() == m.Count)!["value"]!.GetValue<decimal>().ShouldBe(3);
        current.Body!["period_start"]!.GetValue<DateTimeOffset>().ShouldBe(new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero));

        // A customer key reads its own usage only.
        var other = await server.CustomerAsync("pro");
        (await server.Client(other.Key).GetAsync($"/api/v1/customers/{customer.Id}/usage")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await server.Client(other.Key).GetAsync($"/api/v1/usage?metric={m.Count}&customer_id={customer.Id}")).Status.ShouldBe(HttpStatusCode.NotFound);
        Total(await UsageAsync($"metric={m.Count}", server.Client(other.Key))).ShouldBe(0);
    }

    [Fact]
    public async Task Gateway_usage_is_stored_once_and_events_metrics_and_reconciliation_all_read_the_record()
    {
        var customer = await server.CustomerAsync("pro");
        using var http = new HttpClient();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await http.SendAsync(GatewayFixture.Post(server, "/v1/chat/completions", customer.Key,
                JsonNode.Parse("""{"model":"gpt-test","messages":[{"role":"user","content":"Hi"}]}""")!));
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            ids.Add(response.Headers.GetValues("x-request-id").Single());
        }

        var records = new List<Tollgate.Gateway.Usage.UsageRecord>();
        foreach (var id in ids) records.Add(await server.UsageAsync(id));
        var now = server.Clock.GetUtcNow();
        var window = Window(now.AddHours(-1), now.AddHours(1));

        // One stored form: no copy of gateway usage in the events table.
        await using (var connection = await server.Get<Tollgate.Storage.Database>().OpenAsync())
        {
            (await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection, "SELECT COUNT(*) FROM events WHERE customer_id = @id", new { id = customer.Id })).ShouldBe(0);
        }

        // The events API shows each request once, as the record says, with the properties reservations count by.
        var listed = await server.Admin.GetAsync($"/api/v1/events?customer_id={customer.Id}&code=gateway");
        var events = listed.Body!["data"]!.AsArray();
        events.Select(e => e!["id"]!.GetValue<string>()).ShouldBe(ids.Select(id => "evt_" + id).OrderDescending(StringComparer.Ordinal));
        foreach (var record in records)
        {
            var e = events.Single(x => x!["idempotency_key"]!.GetValue<string>() == record.Id)!;
            e["source"]!.GetValue<string>().ShouldBe("gateway");
            e["key_id"]!.GetValue<string>().ShouldBe(record.KeyId);
            // The record's in-memory values, which reservations and cached totals count by, read as the SQL reads it.
            var properties = e["properties"]!.AsObject();
            properties.Select(p => p.Key).ShouldBe(Tollgate.Metering.GatewayEventSource.Properties.Select(p => p.Name));
            var values = Tollgate.Gateway.Usage.GatewayEvents.Values(record);
            foreach (var (name, _) in properties)
            {
                values.Text(name).ShouldBe(Tollgate.Metering.Queries.PropertyText.Of(properties, name), name);
                values.Number(name).ShouldBe(Tollgate.Metering.Queries.PropertyText.Number(properties, name), name);
            }
        }

        var report = await server.Admin.GetAsync($"/api/v1/usage/reconciliation?customer_id={customer.Id}&{window}");
        report.Status.ShouldBe(HttpStatusCode.OK);
        var line = report.Body!["lines"]!.AsArray().ShouldHaveSingleItem()!;
        line["status"]!.GetValue<string>().ShouldBe("balanced");
        line["events"]!["requests"]!.GetValue<long>().ShouldBe(3);
        line["events"]!["cost_nanos"]!.GetValue<long>().ShouldBe(3 * GatewayFixture.GptCostNanos);
        line["records"]!.ToJsonString().ShouldBe(line["events"]!.ToJsonString());

        // A record corrected in the database (by hand, or by a future re-rating) is what every reader sees at once:
        // there is no second copy left behind to disagree with it.
        await using (var connection = await server.Get<Tollgate.Storage.Database>().OpenAsync())
        {
            await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE usage_records SET input_tokens = input_tokens + 5 WHERE id = @id", new { id = ids[1] });
        }

        var after = (await server.Admin.GetAsync($"/api/v1/usage/reconciliation?customer_id={customer.Id}&{window}")).Body!["lines"]!.AsArray().ShouldHaveSingleItem()!;
        after["status"]!.GetValue<string>().ShouldBe("balanced");
        after["events"]!["input_tokens"]!.GetValue<long>().ShouldBe(line["events"]!["input_tokens"]!.GetValue<long>() + 5);
        var corrected = (await server.Admin.GetAsync($"/api/v1/events?customer_id={customer.Id}&code=gateway&filter[key_id]={records[1].KeyId}")).Body!["data"]!.AsArray()
            .Single(e => e!["idempotency_key"]!.GetValue<string>() == ids[1])!;
        corrected["properties"]!["input_tokens"]!.GetValue<long>().ShouldBe(records[1].InputTokens + 5);
    }

    [Fact]
    public async Task Bad_usage_queries_get_stable_codes()
    {
        var m = await MetricsAsync();
        var now = server.Clock.GetUtcNow();
        (await server.Admin.GetAsync("/api/v1/usage")).Code.ShouldBe("validation_failed");
        (await server.Admin.GetAsync("/api/v1/usage?metric=no_such_metric")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await server.Admin.GetAsync($"/api/v1/usage?metric={m.Count}&interval=week")).Code.ShouldBe("validation_failed");
        (await server.Admin.GetAsync($"/api/v1/usage?metric={m.Count}&group_by=a,b,c,d,e")).Code.ShouldBe("validation_failed");
        (await server.Admin.GetAsync($"/api/v1/usage?metric={m.Count}&from={Uri.EscapeDataString(now.ToString("O"))}")).Code.ShouldBe("validation_failed");
        (await server.Admin.GetAsync($"/api/v1/usage?metric={m.Count}&{Window(now, now.AddDays(-1))}")).Code.ShouldBe("validation_failed");
        (await server.Admin.GetAsync($"/api/v1/usage?metric={m.Count}&format=xml")).Code.ShouldBe("validation_failed");
        (await server.Admin.GetAsync($"/api/v1/usage?metric={m.Count}&from=yesterday&to=today")).Status.ShouldBe(HttpStatusCode.BadRequest);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class UsageQueryOnSqlite(SqliteServer server) : UsageQueryTests(server);

[Collection(PostgresCollection.Name)]
public sealed class UsageQueryOnPostgres(PostgresServer server) : UsageQueryTests(server);
