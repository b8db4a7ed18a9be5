using System.Globalization;
using System.Text.Json.Nodes;
using Tollgate.IntegrationTests.Gateway;
using Tollgate.IntegrationTests.Infrastructure;
using Tollgate.Metering;

namespace Tollgate.IntegrationTests.Metering;

/// <summary>Usage events over HTTP: durable before the answer, counted exactly once however often they are sent.</summary>
public abstract class EventIngestionTests(TollgateServer server)
{
    static string NewId() => $"evt-{Guid.NewGuid():N}";

    /// <summary>A customer whose key may send usage: customer keys get no <c>usage:write</c> unless given it.</summary>
    async Task<GatewayCustomer> CustomerAsync() => await server.CustomerAsync("pro", scopes: ["gateway", "usage:write", "usage:read", "customer:read"]);

    async Task<JsonArray> StoredAsync(string customerId, string? code = null)
    {
        var page = await server.Admin.GetAsync($"/api/v1/events?customer_id={customerId}&limit=100{(code is null ? "" : $"&code={code}")}");
        page.Status.ShouldBe(HttpStatusCode.OK);
        return page.Data;
    }

    [Fact]
    public async Task An_event_is_stored_before_the_answer_and_a_retry_is_a_duplicate_counted_once()
    {
        var customer = await CustomerAsync();
        var id = NewId();
        var body = new { id, code = "query", customer_id = customer.Id, properties = new { kind = "basic", model = "gpt-4o" } };

        var first = await server.Admin.PostAsync("/api/v1/events", body);
        first.Status.ShouldBe(HttpStatusCode.OK);
        first.Str("status").ShouldBe("accepted");
        var eventId = first.Str("event_id")!;
        eventId.ShouldStartWith("evt_");

        // Stored already: read straight from the database, no flush.
        var stored = (await StoredAsync(customer.Id)).ShouldHaveSingleItem()!;
        stored["id"]!.GetValue<string>().ShouldBe(eventId);
        stored["idempotency_key"]!.GetValue<string>().ShouldBe(id);
        stored["properties"]!["kind"]!.GetValue<string>().ShouldBe("basic");
        stored["source"]!.GetValue<string>().ShouldBe("api");

        var retry = await server.Admin.PostAsync("/api/v1/events", body with { });
        retry.Status.ShouldBe(HttpStatusCode.OK);
        retry.Str("status").ShouldBe("duplicate");
        retry.Str("event_id").ShouldBe(eventId);
        (await StoredAsync(customer.Id)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_batch_sent_twice_and_concurrently_counts_every_event_exactly_once()
    {
        var customer = await CustomerAsync();
        var events = Enumerable.Range(0, 300)
            .Select(i => new { id = $"e{i}", code = "query", external_customer_id = (string?)null, customer_id = customer.Id, properties = new { n = i } })
            .ToList();

        var sends = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => server.Admin.PostAsync("/api/v1/events/batch", new { events })));

        sends.ShouldAllBe(s => s.Status == HttpStatusCode.OK);
        sends.Sum(s => s.Body!["accepted"]!.GetValue<int>()).ShouldBe(300);
        sends.Sum(s => s.Body!["duplicates"]!.GetValue<int>()).ShouldBe(900);
        var all = new List<JsonNode?>();
        string? cursor = null;
        do
        {
            var page = await server.Admin.GetAsync($"/api/v1/events?customer_id={customer.Id}&limit=100{(cursor is null ? "" : $"&cursor={cursor}")}");
            all.AddRange(page.Data);
            cursor = page.Str("next_cursor");
        }
        while (cursor is not null);

        all.Select(e => e!["idempotency_key"]!.GetValue<string>()).Distinct().Count().ShouldBe(300);
        all.Count.ShouldBe(300);
    }

    [Fact]
    public async Task A_batch_overlapping_an_earlier_one_stores_only_its_new_events()
    {
        var customer = await CustomerAsync();
        object Event(int i) => new { id = $"o{i}", code = "query", customer_id = customer.Id, properties = new { n = i } };
        var first = await server.Admin.PostAsync("/api/v1/events/batch", new { events = Enumerable.Range(0, 10).Select(Event).ToList() });
        first.Status.ShouldBe(HttpStatusCode.OK);
        var firstIds = first.Body!["results"]!.AsArray().ToDictionary(r => r!["id"]!.GetValue<string>(), r => r!["event_id"]!.GetValue<string>());

        var second = await server.Admin.PostAsync("/api/v1/events/batch", new { events = Enumerable.Range(5, 10).Select(Event).ToList() });

        second.Status.ShouldBe(HttpStatusCode.OK);
        second.Body!["accepted"]!.GetValue<int>().ShouldBe(5);
        second.Body!["duplicates"]!.GetValue<int>().ShouldBe(5);
        foreach (var result in second.Body!["results"]!.AsArray())
        {
            var id = result!["id"]!.GetValue<string>();
            var n = int.Parse(id[1..], CultureInfo.InvariantCulture);
            result["status"]!.GetValue<string>().ShouldBe(n < 10 ? "duplicate" : "accepted");
            // A duplicate names the event it repeats; a new one has an id of its own.
            if (n < 10) result["event_id"]!.GetValue<string>().ShouldBe(firstIds[id]);
            else firstIds.Values.ShouldNotContain(result["event_id"]!.GetValue<string>());
        }

        (await StoredAsync(customer.Id)).Count.ShouldBe(15);
    }

    [Fact]
    public async Task Each_event_of_a_batch_gets_its_own_verdict()
    {
        var customer = await CustomerAsync();
        var now = server.Clock.GetUtcNow();
        var twice = NewId();
        var result = await server.Admin.PostAsync("/api/v1/events/batch", new
        {
            events = new object[]
            {
                new { id = twice, code = "query", customer_id = customer.Id },
                new { id = twice, code = "query", customer_id = customer.Id },
                new { id = NewId(), code = "query", external_customer_id = "no-such-customer" },
                new { id = NewId(), code = "Not A Code", customer_id = customer.Id },
                new { id = NewId(), code = "query", customer_id = customer.Id, timestamp = now.AddDays(-40) },
                new { id = NewId(), code = "query", customer_id = customer.Id, timestamp = now.AddHours(1) },
                new { id = NewId(), code = "query", customer_id = customer.Id, timestamp = now.AddDays(-20) },
                new { id = NewId(), code = "query", customer_id = customer.Id, properties = new { nested = new { no = 1 } } },
            },
        });

        result.Status.ShouldBe(HttpStatusCode.OK);
        var verdicts = result.Body!["results"]!.AsArray()
            .Select(r => (r!["status"]!.GetValue<string>(), r["error"]?["code"]?.GetValue<string>())).ToList();
        verdicts.ShouldBe(
        [
            ("accepted", null), ("duplicate", null), ("rejected", "customer_not_found"), ("rejected", "invalid_event"),
            ("rejected", "event_too_old"), ("rejected", "event_in_future"), ("accepted", null), ("rejected", "invalid_event"),
        ]);

        var stored = await StoredAsync(customer.Id);
        stored.Count.ShouldBe(2);
        // A late event within the window keeps its own time, so it lands in its own period.
        stored.Select(e => e!["occurred_at"]!.GetValue<DateTimeOffset>()).ShouldContain(t => t < now.AddDays(-19));
    }

    [Fact]
    public async Task A_customer_key_sends_events_for_its_own_customer_only()
    {
        var customer = await CustomerAsync();
        var other = await CustomerAsync();
        var client = server.Client(customer.Key);

        var own = await client.PostAsync("/api/v1/events", new { id = NewId(), code = "query" });
        own.Str("status").ShouldBe("accepted");
        var foreign = await client.PostAsync("/api/v1/events", new { id = NewId(), code = "query", customer_id = other.Id });
        foreign.Status.ShouldBe(HttpStatusCode.Forbidden);
        foreign.Code.ShouldBe("customer_mismatch");

        (await client.GetAsync("/api/v1/events")).Data.Count.ShouldBe(1);
        (await client.GetAsync($"/api/v1/events?customer_id={other.Id}")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await StoredAsync(other.Id)).Count.ShouldBe(0);
    }

    [Fact]
    public async Task Bad_requests_are_refused_whole_with_stable_codes()
    {
        var customer = await CustomerAsync();
        (await server.Admin.PostAsync("/api/v1/events/batch", new { events = Array.Empty<object>() })).Code.ShouldBe("validation_failed");
        var tooMany = Enumerable.Range(0, 1001).Select(i => new { id = $"x{i}", code = "query", customer_id = customer.Id }).ToArray();
        (await server.Admin.PostAsync("/api/v1/events/batch", new { events = tooMany })).Code.ShouldBe("validation_failed");
        (await server.Admin.PostRawAsync("/api/v1/events", "{\"id\": 1")).Status.ShouldBe(HttpStatusCode.BadRequest);
        (await server.Admin.PostAsync("/api/v1/events", new { code = "query", customer_id = customer.Id })).Code.ShouldBe("invalid_event");
        (await server.Admin.PostAsync("/api/v1/events", new { id = NewId(), code = "query" })).Code.ShouldBe("invalid_event");
        (await StoredAsync(customer.Id)).Count.ShouldBe(0);
    }

    [Fact]
    public async Task No_key_can_send_an_event_that_counterfeits_or_blocks_the_gateways_own()
    {
        var customer = await CustomerAsync();
        using var http = new HttpClient();
        using var response = await http.SendAsync(GatewayFixture.Post(server, "/v1/chat/completions", customer.Key, JsonNode.Parse("""{"model":"gpt-test","messages":[{"role":"user","content":"Hi"}]}""")!));
        var requestId = response.Headers.GetValues("x-request-id").Single();

        var colliding = await server.Client(customer.Key).PostAsync("/api/v1/events", new { id = requestId, code = "query", customer_id = customer.Id });
        var counterfeit = await server.Admin.PostAsync("/api/v1/events", new { id = NewId(), code = "gateway", customer_id = customer.Id, properties = new { input_tokens = 1 } });
        await server.UsageAsync(requestId);

        (colliding.Code, counterfeit.Code).ShouldBe(("reserved_event_id", "reserved_event_code"));
        var stored = (await StoredAsync(customer.Id)).ShouldHaveSingleItem()!;
        (stored["idempotency_key"]!.GetValue<string>(), stored["source"]!.GetValue<string>()).ShouldBe((requestId, "gateway"));
    }

    [Fact]
    public async Task A_key_cannot_lower_its_usage_with_negative_values_unless_a_metric_allows_them()
    {
        var customer = await CustomerAsync();
        var code = $"credits_{Guid.NewGuid():N}"[..20];
        (await server.Admin.PutAsync($"/api/v1/metrics/{code}", new { name = "Credits", aggregation = "sum", field = "amount" })).Status
            .ShouldBe(HttpStatusCode.OK);
        var client = server.Client(customer.Key);

        var lowered = await client.PostAsync("/api/v1/events", new { id = NewId(), code, properties = new { amount = -500 } });
        var zero = await client.PostAsync("/api/v1/events", new { id = NewId(), code, properties = new { amount = -0.0 } });
        var unread = await client.PostAsync("/api/v1/events", new { id = NewId(), code, properties = new { other = -1 } });
        (await server.Admin.PutAsync($"/api/v1/metrics/{code}", new { name = "Credits", aggregation = "sum", field = "amount", allow_negative = true })).Status
            .ShouldBe(HttpStatusCode.OK);
        var correction = await client.PostAsync("/api/v1/events", new { id = NewId(), code, properties = new { amount = -5 } });

        (lowered.Status, lowered.Code).ShouldBe((HttpStatusCode.UnprocessableEntity, "negative_value"));
        zero.Str("status").ShouldBe("accepted");
        unread.Code.ShouldBe("negative_value");
        correction.Str("status").ShouldBe("accepted");
        (await StoredAsync(customer.Id, code)).Count.ShouldBe(2);
    }

    [Fact]
    public async Task A_customer_key_with_default_scopes_cannot_send_events()
    {
        var customer = await server.CustomerAsync("pro");

        var sent = await server.Client(customer.Key).PostAsync("/api/v1/events", new { id = NewId(), code = "query" });

        (sent.Status, sent.Code).ShouldBe((HttpStatusCode.Forbidden, "forbidden"));
    }

    [Fact]
    public async Task Gateway_requests_enter_the_same_event_stream()
    {
        var customer = await CustomerAsync();
        using var http = new HttpClient();
        using var response = await http.SendAsync(GatewayFixture.Post(server, "/v1/chat/completions", customer.Key, JsonNode.Parse("""{"model":"gpt-test","messages":[{"role":"user","content":"Hi"}]}""")!));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var requestId = response.Headers.GetValues("x-request-id").Single();
        await server.UsageAsync(requestId);

        var stored = (await StoredAsync(customer.Id, "gateway")).ShouldHaveSingleItem()!;
        stored["idempotency_key"]!.GetValue<string>().ShouldBe(requestId);
        stored["source"]!.GetValue<string>().ShouldBe("gateway");
        var properties = stored["properties"]!;
        properties["model"]!.GetValue<string>().ShouldBe("gpt-test");
        properties["input_tokens"]!.GetValue<long>().ShouldBe(120);
        properties["output_tokens"]!.GetValue<long>().ShouldBe(45);
        properties["cost_nanos"]!.GetValue<long>().ShouldBe(GatewayFixture.GptCostNanos);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class EventIngestionOnSqlite(SqliteServer server) : EventIngestionTests(server);

[Collection(PostgresCollection.Name)]
public sealed class EventIngestionOnPostgres(PostgresServer server) : EventIngestionTests(server);
