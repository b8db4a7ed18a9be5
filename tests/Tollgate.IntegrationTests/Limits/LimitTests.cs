using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Tollgate.Counters;
using Tollgate.Storage;
using Tollgate.IntegrationTests.Gateway;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Limits;

/// <summary>Rate limits, concurrency limits and budgets set over the API and enforced by the gateway, on the fake clock.</summary>
public abstract class LimitTests(TollgateServer server)
{
    // fake-gpt answers 120 input and 45 output tokens; on the free plan that costs and charges 200,000 nanodollars.
    const long TokensPerAnswer = 165;
    const long ChargePerAnswer = GatewayFixture.GptCostNanos;

    async Task<string> LimitAsync(object limit)
    {
        var created = await server.Admin.PostAsync("/api/v1/limits", limit);
        created.Status.ShouldBe(HttpStatusCode.Created, created.Body?.ToJsonString());
        return created.Id;
    }

    Task<ApiResponse> ChatAsync(GatewayCustomer customer, int maxTokens = 50, string? user = null, string prompt = "Hi") =>
        server.Client(customer.Key).PostAsync("/v1/chat/completions", new
        {
            model = "gpt-test", max_tokens = maxTokens, user, messages = new[] { new { role = "user", content = prompt } },
        });

    static string? Header(ApiResponse response, string name) =>
        response.Raw.Headers.TryGetValues(name, out var values) ? values.Single() : null;

    static string? ErrorCode(ApiResponse response) => response.Body?["error"]?["code"]?.GetValue<string>();

    /// <summary>Moves the clock to the start of the next minute, so a test's minute window is whole and known.</summary>
    void StartOfNextMinute()
    {
        var now = server.Clock.GetUtcNow();
        server.Clock.Advance(TimeSpan.FromTicks(TimeSpan.TicksPerMinute - now.UtcTicks % TimeSpan.TicksPerMinute));
    }

    [Fact]
    public async Task Requests_per_minute_are_refused_past_the_limit_with_retry_after_and_allowed_again_in_the_next_window()
    {
        var customer = await server.CustomerAsync("free");
        await LimitAsync(new { scope = "customer", target = customer.Id, measure = "requests", amount = 3, window = "minute" });
        StartOfNextMinute();

        for (var i = 0; i < 3; i++)
        {
            var ok = await ChatAsync(customer);
            ok.Status.ShouldBe(HttpStatusCode.OK);
            Header(ok, "x-ratelimit-limit-requests").ShouldBe("3");
            Header(ok, "x-ratelimit-remaining-requests").ShouldBe((2 - i).ToString());
            Header(ok, "x-ratelimit-reset-requests").ShouldBe("1m0s");
        }

        server.Clock.Advance(TimeSpan.FromSeconds(15));
        var refused = await ChatAsync(customer);
        refused.Status.ShouldBe(HttpStatusCode.TooManyRequests);
        ErrorCode(refused).ShouldBe("rate_limit_exceeded");
        refused.Body!["error"]!["type"]!.GetValue<string>().ShouldBe("rate_limit_error");
        Header(refused, "retry-after").ShouldBe("45");
        Header(refused, "x-ratelimit-remaining-requests").ShouldBe("0");
        Header(refused, "x-should-retry").ShouldBeNull();

        server.Clock.Advance(TimeSpan.FromSeconds(45));
        (await ChatAsync(customer)).Status.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Tokens_per_minute_count_what_the_model_really_used_and_refuse_a_request_bigger_than_the_limit()
    {
        var customer = await server.CustomerAsync("free");
        await LimitAsync(new { scope = "customer", target = customer.Id, measure = "tokens", amount = 1000, window = "minute" });
        StartOfNextMinute();

        var tooBig = await ChatAsync(customer, maxTokens: 5000);
        (tooBig.Status, ErrorCode(tooBig), Header(tooBig, "x-should-retry")).ShouldBe((HttpStatusCode.TooManyRequests, "tokens_exceed_limit", "false"));

        // Each answer settles to the 165 tokens it used: six fit in 1,000, a seventh would not.
        for (var i = 0; i < 6; i++) (await ChatAsync(customer)).Status.ShouldBe(HttpStatusCode.OK);
        var seventh = await ChatAsync(customer);
        (seventh.Status, ErrorCode(seventh)).ShouldBe((HttpStatusCode.TooManyRequests, "rate_limit_exceeded"));
        Header(seventh, "x-ratelimit-limit-tokens").ShouldBe("1000");
    }

    [Fact]
    public async Task Each_of_the_n_answers_a_request_asks_for_is_reserved()
    {
        var customer = await server.CustomerAsync("free");
        await LimitAsync(new { scope = "customer", target = customer.Id, measure = "tokens", amount = 1000, window = "minute" });
        StartOfNextMinute();
        var client = server.Client(customer.Key);

        var three = await client.PostRawAsync("/v1/chat/completions", """{"model":"gpt-test","max_tokens":400,"n":3,"messages":[{"role":"user","content":"Hi"}]}""");
        var one = await client.PostRawAsync("/v1/chat/completions", """{"model":"gpt-test","max_tokens":400,"n":1,"messages":[{"role":"user","content":"Hi"}]}""");

        (three.Status, ErrorCode(three)).ShouldBe((HttpStatusCode.TooManyRequests, "tokens_exceed_limit"));
        one.Status.ShouldBe(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("\"max_tokens\":9223372036854775807", "max_tokens")]
    [InlineData("\"max_completion_tokens\":9223372036854775807", "max_completion_tokens")]
    [InlineData("\"max_tokens\":1e300", "max_tokens")]
    [InlineData("\"max_tokens\":-1", "max_tokens")]
    [InlineData("\"max_tokens\":0", "max_tokens")]
    [InlineData("\"max_tokens\":1.5", "max_tokens")]
    [InlineData("\"max_tokens\":\"10\"", "max_tokens")]
    [InlineData("\"n\":9223372036854775807", "n")]
    [InlineData("\"n\":0", "n")]
    [InlineData("\"best_of\":100000", "best_of")]
    public async Task A_number_no_reservation_can_hold_is_refused_with_a_400_naming_it(string field, string param)
    {
        var customer = await server.CustomerAsync("free");
        await LimitAsync(new { scope = "customer", target = customer.Id, measure = "tokens", amount = 1000, window = "minute" });

        var answer = await server.Client(customer.Key).PostRawAsync("/v1/chat/completions",
            $$"""{"model":"gpt-test",{{field}},"messages":[{"role":"user","content":"Hi"}]}""");

        answer.Status.ShouldBe(HttpStatusCode.BadRequest);
        (ErrorCode(answer), answer.Body!["error"]!["param"]?.GetValue<string>()).ShouldBe(("invalid_request", param));
        (await ChatAsync(customer)).Status.ShouldBe(HttpStatusCode.OK, "nothing was reserved or counted by the refused request");
    }

    [Fact]
    public async Task A_key_limit_holds_exactly_under_a_burst_of_concurrent_requests()
    {
        var customer = await server.CustomerAsync("free");
        var keyId = (await server.Admin.GetAsync($"/api/v1/keys?customer_id={customer.Id}")).Data[0]!["id"]!.GetValue<string>();
        await LimitAsync(new { scope = "key", target = keyId, measure = "requests", amount = 50, window = "hour" });
        StartOfNextMinute();

        var responses = await Task.WhenAll(Enumerable.Range(0, 300).Select(_ => ChatAsync(customer)));
        responses.Count(r => r.Status == HttpStatusCode.OK).ShouldBe(50);
        responses.Where(r => r.Status != HttpStatusCode.OK).ShouldAllBe(r => r.Status == HttpStatusCode.TooManyRequests && ErrorCode(r) == "rate_limit_exceeded");
    }

    [Fact]
    public async Task Requests_in_flight_are_limited_and_a_finished_request_frees_its_slot()
    {
        var customer = await server.CustomerAsync("free");
        await LimitAsync(new { scope = "customer", target = customer.Id, measure = "concurrent", amount = 2 });
        server.Upstream.ResetGate();

        using var http = new HttpClient();
        var body = JsonNode.Parse("""{"model":"held-stream","stream":true,"messages":[{"role":"user","content":"Hi"}]}""")!;
        var held = new List<HttpResponseMessage>();
        for (var i = 0; i < 2; i++)
        {
            var response = await http.SendAsync(GatewayFixture.Post(server, "/v1/chat/completions", customer.Key, body), HttpCompletionOption.ResponseHeadersRead);
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            held.Add(response);
        }

        var third = await ChatAsync(customer);
        (third.Status, ErrorCode(third), Header(third, "retry-after")).ShouldBe((HttpStatusCode.TooManyRequests, "concurrency_limit_exceeded", "1"));

        server.Upstream.Release();
        foreach (var response in held)
        {
            await response.Content.ReadAsStringAsync();
            await server.UsageAsync(response.Headers.GetValues("x-request-id").Single());
            response.Dispose();
        }

        (await ChatAsync(customer)).Status.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Requests_in_flight_on_a_node_that_stopped_beating_are_given_back_to_a_concurrency_limit()
    {
        var customer = await server.CustomerAsync("free");
        var limitId = await LimitAsync(new { scope = "customer", target = customer.Id, measure = "concurrent", amount = 2 });

        // Another node leased both slots for requests in flight, then was killed: it beat once and never again.
        var database = server.Get<Database>();
        var dead = new NodeIdentity();
        var deadStore = new CounterStore(database, dead, server.Clock);
        var deadLedger = new CounterLedger(deadStore, server.Clock, NullLogger<CounterLedger>.Instance);
        await new NodeRegistry(database, dead, deadLedger, server.Clock, NullLogger<NodeRegistry>.Instance).BeatAsync(CancellationToken.None);
        var counter = new CounterKey($"customer:{customer.Id}", limitId, DateTimeOffset.UnixEpoch, null);
        var leased = await deadStore.LeaseAsync(counter, 2, 2, _ => Task.FromResult(0L), CancellationToken.None);
        leased.Units.ShouldBe(2);
        ErrorCode(await ChatAsync(customer)).ShouldBe("concurrency_limit_exceeded");

        // Silent for 20 s it is not yet taken for dead; at 35 s its slots come back.
        var registry = server.Get<NodeRegistry>();
        await SilenceAsync(dead.Id, TimeSpan.FromSeconds(20));
        await registry.BeatAsync(CancellationToken.None);
        ErrorCode(await ChatAsync(customer)).ShouldBe("concurrency_limit_exceeded");
        await SilenceAsync(dead.Id, TimeSpan.FromSeconds(15));
        await registry.BeatAsync(CancellationToken.None);
        (await ChatAsync(customer)).Status.ShouldBe(HttpStatusCode.OK);
        (await ChatAsync(customer)).Status.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_request_that_never_ran_does_not_count_in_a_limits_baseline()
    {
        var customer = await server.CustomerAsync("free");
        var keyId = (await server.Admin.GetAsync($"/api/v1/keys?customer_id={customer.Id}")).Data[0]!["id"]!.GetValue<string>();
        // Stored before the limit exists (its counter starts from what is stored): a request that never reached a provider.
        await server.Get<Tollgate.Gateway.Usage.UsageStore>().InsertAsync(
        [
            new Tollgate.Gateway.Usage.UsageRecord
            {
                Id = $"req_{Guid.NewGuid():N}", CustomerId = customer.Id, KeyId = keyId, Mode = "live", Operation = "chat.completions",
                RequestedModel = "gpt-test", Status = Tollgate.Metering.UsageStatus.NotRun, PriceVersion = "test", CreatedAt = server.Clock.GetUtcNow(),
            },
        ], CancellationToken.None);
        await LimitAsync(new { scope = "customer", target = customer.Id, measure = "requests", amount = 1, window = "day" });

        (await ChatAsync(customer)).Status.ShouldBe(HttpStatusCode.OK);
        (await ChatAsync(customer)).Status.ShouldBe(HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task An_anchored_limit_binds_operator_calls_that_name_no_customer_in_calendar_periods()
    {
        var operatorKey = await server.Admin.PostAsync("/api/v1/keys", new { name = "backend", kind = "admin" });
        await LimitAsync(new { scope = "key", target = operatorKey.Id, measure = "requests", amount = 1, window = "month", anchored = true });
        var operatorClient = server.Client(operatorKey.Str("secret"));
        var body = new { model = "gpt-test", max_tokens = 5, messages = new[] { new { role = "user", content = "Hi" } } };

        var first = await operatorClient.PostAsync("/v1/chat/completions", body);
        server.Clock.Advance(TimeSpan.FromSeconds(1)); // a period anchored at "now" would start again here
        var second = await operatorClient.PostAsync("/v1/chat/completions", body);

        first.Status.ShouldBe(HttpStatusCode.OK);
        (second.Status, ErrorCode(second)).ShouldBe((HttpStatusCode.TooManyRequests, "rate_limit_exceeded"));
    }

    /// <summary>
    /// Lets a node's heartbeat age: on PostgreSQL heartbeats are judged by the database's clock, so the row itself is
    /// moved back; on SQLite (one node, one clock) the test clock moves on.
    /// </summary>
    async Task SilenceAsync(string nodeId, TimeSpan by)
    {
        var database = server.Get<Database>();
        if (database.Kind == DatabaseKind.Sqlite)
        {
            server.Clock.Advance(by);
            return;
        }

        await using var connection = await database.OpenAsync();
        await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE nodes SET heartbeat_at = heartbeat_at - make_interval(secs => @seconds) WHERE id = @nodeId",
            new { seconds = by.TotalSeconds, nodeId });
    }

    [Fact]
    public async Task A_daily_budget_refuses_once_spent_shows_what_remains_and_starts_again_the_next_day()
    {
        var customer = await server.CustomerAsync("free");
        var id = await LimitAsync(new { scope = "customer", target = customer.Id, measure = "spend", amount_usd = 0.001m, window = "day" });

        // Five answers at $0.0002 spend the $0.001 exactly; the sixth is refused, and retrying will not help today.
        for (var i = 0; i < 5; i++)
        {
            var ok = await ChatAsync(customer);
            ok.Status.ShouldBe(HttpStatusCode.OK);
            Header(ok, "x-tollgate-budget-limit").ShouldBe("0.001");
        }

        var refused = await ChatAsync(customer);
        (refused.Status, ErrorCode(refused), Header(refused, "x-should-retry")).ShouldBe((HttpStatusCode.TooManyRequests, "budget_exceeded", "false"));
        Header(refused, "x-tollgate-budget-remaining").ShouldBe("0");

        await server.Get<Tollgate.Gateway.Usage.UsageDrain>().FlushAsync();
        var status = await server.Client(customer.Key).GetAsync($"/api/v1/customers/{customer.Id}/limits");
        var budget = status.Data.Single(s => s!["limit"]!["id"]!.GetValue<string>() == id)!;
        (budget["used"]!.GetValue<long>(), budget["used_usd"]!.GetValue<decimal>(), budget["remaining"]!.GetValue<long>()).ShouldBe((5 * ChargePerAnswer, 0.001m, 0L));

        server.Clock.Advance(TimeSpan.FromDays(1));
        var nextDay = await ChatAsync(customer);
        nextDay.Status.ShouldBe(HttpStatusCode.OK);
        Header(nextDay, "x-tollgate-budget-remaining").ShouldNotBeNull();
    }

    [Fact]
    public async Task A_budget_per_end_user_refuses_one_user_and_not_another()
    {
        var customer = await server.CustomerAsync("free");
        await LimitAsync(new { scope = "customer", target = customer.Id, per = "end_user", measure = "spend", amount_usd = 0.0004m, window = "month" });

        (await ChatAsync(customer, user: "alice")).Status.ShouldBe(HttpStatusCode.OK);
        (await ChatAsync(customer, user: "alice")).Status.ShouldBe(HttpStatusCode.OK);
        ErrorCode(await ChatAsync(customer, user: "alice")).ShouldBe("budget_exceeded");
        (await ChatAsync(customer, user: "bob")).Status.ShouldBe(HttpStatusCode.OK);
        (await ChatAsync(customer)).Status.ShouldBe(HttpStatusCode.OK); // no end user named: the per-user budget does not apply
    }

    [Fact]
    public async Task Concurrent_requests_never_spend_past_a_hard_budget()
    {
        var customer = await server.CustomerAsync("free");
        await LimitAsync(new { scope = "customer", target = customer.Id, measure = "spend", amount_usd = 0.005m, window = "month" });

        // A prompt long enough that its estimate covers the 120 tokens the fake model reports, as a real prompt's would.
        var prompt = new string('x', 600);
        var responses = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => ChatAsync(customer, prompt: prompt)));
        responses.Where(r => r.Status != HttpStatusCode.OK).ShouldAllBe(r => ErrorCode(r) == "budget_exceeded");
        var served = responses.Where(r => r.Status == HttpStatusCode.OK).ToList();
        served.Count.ShouldBeGreaterThan(0);
        long spent = 0;
        foreach (var ok in served) spent += (await server.UsageAsync(Header(ok, "x-request-id")!)).ChargeNanos;
        spent.ShouldBeLessThanOrEqualTo(5_000_000);
        spent.ShouldBe(served.Count * ChargePerAnswer);
    }

    [Fact]
    public async Task Limits_are_validated_audited_and_only_operators_set_them()
    {
        var customer = await server.CustomerAsync("free");
        (await server.Admin.PostAsync("/api/v1/limits", new { scope = "customer", target = customer.Id, measure = "spend", amount = 5 })).FieldErrors
            .ShouldBe(["amount", "amount_usd"], ignoreOrder: true);
        (await server.Admin.PostAsync("/api/v1/limits", new { scope = "customer", target = customer.Id, measure = "concurrent", amount = 5, window = "minute" })).FieldErrors
            .ShouldBe(["window"]);
        (await server.Admin.PostAsync("/api/v1/limits", new { scope = "key", target = "key_nope", measure = "requests", amount = 5 })).FieldErrors.ShouldBe(["target"]);
        (await server.Admin.PostAsync("/api/v1/limits", new { scope = "plan", target = "free", measure = "tokens", amount = 0 })).FieldErrors.ShouldBe(["amount"]);
        (await server.Client(customer.Key).PostAsync("/api/v1/limits", new { scope = "customer", target = customer.Id, measure = "requests", amount = 5 })).Status
            .ShouldBe(HttpStatusCode.Forbidden);

        var id = await LimitAsync(new { scope = "customer", target = customer.Id, measure = "requests", amount = 1, window = "day" });
        (await ChatAsync(customer)).Status.ShouldBe(HttpStatusCode.OK);
        (await ChatAsync(customer)).Status.ShouldBe(HttpStatusCode.TooManyRequests);
        var raised = await server.Admin.PutAsync($"/api/v1/limits/{id}", new { scope = "customer", target = customer.Id, measure = "requests", amount = 100, window = "day" });
        raised.Body!["amount"]!.GetValue<long>().ShouldBe(100);
        (await ChatAsync(customer)).Status.ShouldBe(HttpStatusCode.OK);
        // Its counter holds requests: it cannot start counting tokens in place.
        var remeasured = await server.Admin.PutAsync($"/api/v1/limits/{id}", new { scope = "customer", target = customer.Id, measure = "tokens", amount = 100, window = "day" });
        (remeasured.Status, remeasured.Code).ShouldBe((HttpStatusCode.Conflict, "limit_measure_changed"));
        (await server.Admin.GetAsync($"/api/v1/limits/{id}")).Str("measure").ShouldBe("requests");
        (await server.Admin.DeleteAsync($"/api/v1/limits/{id}")).Status.ShouldBe(HttpStatusCode.OK);
        (await server.Admin.GetAsync($"/api/v1/limits/{id}")).Status.ShouldBe(HttpStatusCode.NotFound);

        var audit = await server.Admin.GetAsync($"/api/v1/audit-log?customer_id={customer.Id}&limit=100");
        audit.Data.Select(e => e!["action"]!.GetValue<string>()).Where(a => a.StartsWith("limit.", StringComparison.Ordinal)).ShouldBe(["limit.deleted", "limit.updated", "limit.created"], ignoreOrder: true);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class LimitsOnSqlite(SqliteServer server) : LimitTests(server);

[Collection(PostgresCollection.Name)]
public sealed class LimitsOnPostgres(PostgresServer server) : LimitTests(server);
