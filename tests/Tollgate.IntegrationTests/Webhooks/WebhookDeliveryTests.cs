using Microsoft.Extensions.Options;
using System.Text;
using System.Text.Json.Nodes;
using Tollgate.Common;
using Tollgate.IntegrationTests.Infrastructure;
using Tollgate.Storage;
using Tollgate.Webhooks;
using Tollgate.Webhooks.Delivery;
using Tollgate.Webhooks.Endpoints;

namespace Tollgate.IntegrationTests.Webhooks;

/// <summary>
/// Outbound webhooks end to end over loopback: endpoints registered over the API, events written to the outbox as
/// billing and payments write them, the dispatcher's rounds run by the test (the server's clock is the test's), and a
/// real HTTP receiver that checks what arrives.
/// </summary>
public abstract class WebhookDeliveryTests(TollgateServer server) : WebhookReceiverTests(server)
{
    WebhookDispatcher Dispatcher => Server.Get<WebhookDispatcher>();

    async Task RoundAsync()
    {
        await Dispatcher.RoundAsync(CancellationToken.None);
        await Dispatcher.DrainAsync();
    }

    async Task<string> CustomerAsync() => (await Server.Admin.PostAsync("/api/v1/customers", new { name = "Hears webhooks" })).Id;

    /// <summary>An event as billing writes one: in the outbox, in a transaction of its own.</summary>
    async Task<string> EventAsync(string type, string? customerId, object payload)
    {
        var id = Ids.New(Outbox.MessagePrefix, Server.Clock);
        await Server.Get<Database>().InTransactionAsync(async (_, tx) =>
        {
            await Outbox.WriteAsync(tx, id, type, customerId, payload, Server.Clock.GetUtcNow());
            return 0;
        });
        return id;
    }

    async Task<(string Id, string Secret)> EndpointAsync(string name, object? events = null, string? customerId = null)
    {
        var created = await Server.TestAdmin.PostAsync("/api/v1/webhook-endpoints", new { url = Receiver.Url(name), events, description = name, customer_id = customerId });
        created.Status.ShouldBe(HttpStatusCode.Created);
        return (created.Id, created.Str("secret")!);
    }

    static bool Verifies(ReceivedWebhook hook, string secret) =>
        hook.Signature!.Split(' ').Contains(StandardWebhooks.Sign(StandardWebhooks.KeyOf(secret)!, hook.Id!, long.Parse(hook.Timestamp!), Encoding.UTF8.GetBytes(hook.Body)));

    async Task<JsonArray> AttemptsAsync(string endpointId) => (await Server.TestAdmin.GetAsync($"/api/v1/webhook-endpoints/{endpointId}/attempts?limit=100")).Data;

    [Fact]
    public async Task An_event_reaches_the_endpoints_that_hear_it_once_signed_by_Standard_Webhooks()
    {
        var customer = await CustomerAsync();
        var (endpoint, secret) = await EndpointAsync("invoices", new[] { "invoice.*" }, customer);
        await EndpointAsync("payments", new[] { "payment.succeeded" }, customer);

        var paid = await EventAsync("invoice.paid", customer, new { id = "in_1", total = 1200, currency = "USD" });
        await EventAsync("invoice.paid", await CustomerAsync(), new { id = "in_other" }); // another customer's: not this endpoint's
        await RoundAsync();
        await RoundAsync(); // delivered once, not again

        var hook = Receiver.To("invoices").ShouldHaveSingleItem();
        Receiver.To("payments").ShouldBeEmpty();
        hook.Id.ShouldBe(paid);
        hook.Timestamp.ShouldBe(Server.Clock.GetUtcNow().ToUnixTimeSeconds().ToString());
        Verifies(hook, secret).ShouldBeTrue();
        Verifies(hook, StandardWebhooks.NewSecret()).ShouldBeFalse();
        var body = JsonNode.Parse(hook.Body)!;
        (body["type"]!.GetValue<string>(), body["data"]!["id"]!.GetValue<string>(), body["data"]!["total"]!.GetValue<int>()).ShouldBe(("invoice.paid", "in_1", 1200));
        body["timestamp"]!.GetValue<DateTimeOffset>().ShouldBe(Server.Clock.GetUtcNow(), TimeSpan.FromSeconds(1));

        var attempt = (await AttemptsAsync(endpoint)).ShouldHaveSingleItem()!;
        (attempt["message_id"]!.GetValue<string>(), attempt["status_code"]!.GetValue<int>(), attempt["succeeded"]!.GetValue<bool>(), attempt["response_excerpt"]!.GetValue<string>())
            .ShouldBe((paid, 200, true, "thanks"));
    }

    [Fact]
    public async Task An_endpoint_that_hangs_holds_only_its_share_and_the_others_hear_everything_meanwhile()
    {
        var customer = await CustomerAsync();
        await EndpointAsync("hangs", new[] { "invoice.*" }, customer);
        await EndpointAsync("answers", new[] { "invoice.*" }, customer);
        Receiver.Hold("hangs");
        try
        {
            var sent = new List<string>();
            for (var i = 0; i < 30; i++) sent.Add(await EventAsync("invoice.paid", customer, new { id = $"in_{i}" }));

            // The round ends while the hanging endpoint's attempts are still waiting for their answers (the bound only
            // turns a round that waits on them, keeping every later event waiting too, into a failure instead of a hang).
            await Dispatcher.RoundAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            Receiver.To("answers").Select(h => h.Id).ShouldBe(sent, ignoreOrder: true);
            Receiver.Held("hangs").ShouldBe(Server.Get<IOptions<WebhookOptions>>().Value.ConcurrencyPerEndpoint, "the hanging endpoint holds its share, no more");

            Receiver.Let("hangs");
            await Dispatcher.DrainAsync();
            for (var round = 0; round < 10 && Receiver.To("hangs").Count < sent.Count; round++) await RoundAsync();
            Receiver.To("hangs").Select(h => h.Id).ShouldBe(sent, ignoreOrder: true);
            Receiver.To("answers").Count.ShouldBe(sent.Count, "nothing twice");
        }
        finally
        {
            Receiver.Let("hangs");
        }
    }

    [Fact]
    public async Task The_official_Standard_Webhooks_library_verifies_what_is_sent_and_refuses_it_tampered()
    {
        var customer = await CustomerAsync();
        var (endpoint, old) = await EndpointAsync("verified", new[] { "invoice.*" }, customer);
        await EventAsync("invoice.paid", customer, new { id = "in_verified", total = 4_200 });
        await RoundAsync();
        var fresh = (await Server.TestAdmin.PostAsync($"/api/v1/webhook-endpoints/{endpoint}/rotate-secret")).Str("secret")!;
        await EventAsync("invoice.paid", customer, new { id = "in_rotated" });
        await RoundAsync();
        var (before, during) = (Receiver.To("verified")[0], Receiver.To("verified")[1]);

        var now = Server.Clock.GetUtcNow();
        var (ok, payload) = await StandardWebhooksLibrary.VerifyAsync(old, before, now);
        ok.ShouldBeTrue(payload);
        JsonNode.Parse(payload)!["data"]!["total"]!.GetValue<int>().ShouldBe(4_200);
        (await StandardWebhooksLibrary.VerifyAsync(old, during, now)).Ok.ShouldBeTrue(); // during the overlap, with either secret
        (await StandardWebhooksLibrary.VerifyAsync(fresh, during, now)).Ok.ShouldBeTrue();
        (await StandardWebhooksLibrary.VerifyAsync(fresh, before, now)).Ok.ShouldBeFalse();
        (await StandardWebhooksLibrary.VerifyAsync(old, before with { Body = before.Body.Replace("4200", "1") }, now)).Ok.ShouldBeFalse();
        (await StandardWebhooksLibrary.VerifyAsync(old, before, now.AddMinutes(10))).Output.ShouldContain("too old"); // a replayed capture, later
    }

    [Fact]
    public async Task Customer_and_key_changes_are_announced_and_a_key_event_never_carries_its_secret()
    {
        await EndpointAsync("accounts", new[] { "customer.*", "api_key.*" });
        var customer = await CustomerAsync();
        (await Server.Admin.PatchAsync($"/api/v1/customers/{customer}", new { name = "Renamed" })).Status.ShouldBe(HttpStatusCode.OK);
        var key = await Server.Admin.PostAsync("/api/v1/keys", new { name = "app", customer_id = customer });
        (await Server.Admin.PostAsync($"/api/v1/keys/{key.Id}/revoke")).Status.ShouldBe(HttpStatusCode.OK);
        await RoundAsync();

        var events = Receiver.To("accounts").Select(h => JsonNode.Parse(h.Body)!)
            .Where(b => b["data"]!["id"]?.GetValue<string>() is { } id && (id == customer || id == key.Id)).ToList();
        events.Select(e => e["type"]!.GetValue<string>()).ShouldBe(["customer.created", "customer.updated", "api_key.created", "api_key.revoked"], ignoreOrder: true);
        events.Single(e => e["type"]!.GetValue<string>() == "customer.updated")["data"]!["name"]!.GetValue<string>().ShouldBe("Renamed");
        var created = events.Single(e => e["type"]!.GetValue<string>() == "api_key.created")["data"]!;
        created["customer_id"]!.GetValue<string>().ShouldBe(customer);
        created["secret"].ShouldBeNull();
        Receiver.To("accounts").ShouldAllBe(h => !h.Body.Contains(key.Str("secret")!));
    }

    [Fact]
    public async Task A_failing_endpoint_is_retried_on_the_schedule_and_the_message_fails_after_the_last_attempt()
    {
        var customer = await CustomerAsync();
        var (endpoint, _) = await EndpointAsync("flaky", new[] { "invoice.paid" }, customer);
        Receiver.Answer("flaky", 500);
        await EventAsync("invoice.paid", customer, new { id = "in_retry" });

        await RoundAsync();
        Receiver.To("flaky").Count.ShouldBe(1); // at once
        await RoundAsync();
        Receiver.To("flaky").Count.ShouldBe(1); // not before 5 s
        var delays = RetrySchedule.Delays.Skip(1).ToList();
        foreach (var (delay, i) in delays.Select((d, i) => (d, i)))
        {
            Server.Clock.Advance(delay * 1.2 + TimeSpan.FromSeconds(1)); // past the most jitter can add
            await RoundAsync();
            Receiver.To("flaky").Count.ShouldBe(i + 2);
        }

        Server.Clock.Advance(TimeSpan.FromDays(1));
        await RoundAsync();
        Receiver.To("flaky").Count.ShouldBe(RetrySchedule.Attempts); // eight, and no more
        var attempts = await AttemptsAsync(endpoint);
        attempts.Count.ShouldBe(8);
        attempts.ShouldAllBe(a => a!["status_code"]!.GetValue<int>() == 500 && !a["succeeded"]!.GetValue<bool>());
        attempts[0]!["response_excerpt"]!.GetValue<string>().ShouldBe("refused with 500");
        (await Server.TestAdmin.GetAsync($"/api/v1/webhook-endpoints/{endpoint}")).Str("status").ShouldBe("enabled"); // failing for 28 h, not 5 days
    }

    [Fact]
    public async Task An_endpoint_that_answers_410_is_disabled_at_once_and_the_operator_is_told()
    {
        var customer = await CustomerAsync();
        var (endpoint, _) = await EndpointAsync("gone", new[] { "invoice.*" }, customer);
        var (operatorEndpoint, _) = await EndpointAsync("operator", new[] { "webhook_endpoint.disabled" });
        Receiver.Answer("gone", 410);
        await EventAsync("invoice.paid", customer, new { id = "in_gone_1" });
        await EventAsync("invoice.created", customer, new { id = "in_gone_2" });

        await RoundAsync();
        await RoundAsync(); // the disabling event goes out

        var disabled = await Server.TestAdmin.GetAsync($"/api/v1/webhook-endpoints/{endpoint}");
        (disabled.Str("status"), disabled.Str("disabled_reason")).ShouldBe(("disabled", "gone"));
        Receiver.To("gone").Count.ShouldBeInRange(1, 2); // both may have gone out together; none after
        Server.Clock.Advance(TimeSpan.FromMinutes(10));
        await EventAsync("invoice.paid", customer, new { id = "in_gone_3" });
        await RoundAsync();
        Receiver.To("gone").Count.ShouldBeInRange(1, 2);
        var told = Receiver.To("operator").Select(h => JsonNode.Parse(h.Body)!).Single(b => b["data"]!["endpoint_id"]!.GetValue<string>() == endpoint);
        (told["type"]!.GetValue<string>(), told["data"]!["reason"]!.GetValue<string>(), told["data"]!["last_status_code"]!.GetValue<int>()).ShouldBe(("webhook_endpoint.disabled", "gone", 410));
        operatorEndpoint.ShouldNotBeNull();
    }

    [Fact]
    public async Task An_endpoint_failing_for_five_days_is_disabled()
    {
        var customer = await CustomerAsync();
        var (endpoint, _) = await EndpointAsync("down", new[] { "invoice.*" }, customer);
        Receiver.Answer("down", 503);
        for (var day = 0; day <= 5; day++)
        {
            await EventAsync("invoice.paid", customer, new { id = $"in_down_{day}" });
            await RoundAsync();
            if (day < 5) (await Server.TestAdmin.GetAsync($"/api/v1/webhook-endpoints/{endpoint}")).Str("status").ShouldBe("enabled");
            Server.Clock.Advance(day < 4 ? TimeSpan.FromDays(1) : TimeSpan.FromHours(23)); // the fifth day's failure at 4 d 23 h… then the sixth past 5 d
        }

        Server.Clock.Advance(TimeSpan.FromHours(2));
        await EventAsync("invoice.paid", customer, new { id = "in_down_last" });
        await RoundAsync();
        var disabled = await Server.TestAdmin.GetAsync($"/api/v1/webhook-endpoints/{endpoint}");
        (disabled.Str("status"), disabled.Str("disabled_reason")).ShouldBe(("disabled", "failing"));
    }

    [Fact]
    public async Task A_success_ends_the_failing_streak()
    {
        var customer = await CustomerAsync();
        var (endpoint, _) = await EndpointAsync("recovers", new[] { "invoice.*" }, customer);
        Receiver.Answer("recovers", 500);
        await EventAsync("invoice.paid", customer, new { id = "in_recovers" });
        await RoundAsync();
        (await Server.TestAdmin.GetAsync($"/api/v1/webhook-endpoints/{endpoint}")).Body!["failing_since"].ShouldNotBeNull();

        Receiver.Answer("recovers", 204);
        Server.Clock.Advance(TimeSpan.FromSeconds(7));
        await RoundAsync();

        (await Server.TestAdmin.GetAsync($"/api/v1/webhook-endpoints/{endpoint}")).Body!["failing_since"].ShouldBeNull();
        Server.Clock.Advance(TimeSpan.FromDays(6));
        Receiver.Answer("recovers", 500);
        await EventAsync("invoice.paid", customer, new { id = "in_recovers_2" });
        await RoundAsync();
        (await Server.TestAdmin.GetAsync($"/api/v1/webhook-endpoints/{endpoint}")).Str("status").ShouldBe("enabled"); // a new streak, not six days of one
    }

    [Fact]
    public async Task After_a_rotation_both_secrets_sign_until_the_overlap_ends()
    {
        var customer = await CustomerAsync();
        var (endpoint, old) = await EndpointAsync("rotating", new[] { "invoice.*" }, customer);
        var rotated = await Server.TestAdmin.PostAsync($"/api/v1/webhook-endpoints/{endpoint}/rotate-secret");
        rotated.Status.ShouldBe(HttpStatusCode.OK);
        var fresh = rotated.Str("secret")!;
        fresh.ShouldNotBe(old);
        (await Server.TestAdmin.GetAsync($"/api/v1/webhook-endpoints/{endpoint}")).Body!["secret"].ShouldBeNull(); // never shown again

        await EventAsync("invoice.paid", customer, new { id = "in_overlap" });
        await RoundAsync();
        var during = Receiver.To("rotating").Single();
        during.Signature!.Split(' ').Length.ShouldBe(2);
        (Verifies(during, old), Verifies(during, fresh)).ShouldBe((true, true));

        Server.Clock.Advance(TimeSpan.FromHours(25));
        await EventAsync("invoice.paid", customer, new { id = "in_after" });
        await RoundAsync();
        var after = Receiver.To("rotating").Last();
        after.Signature!.Split(' ').Length.ShouldBe(1);
        (Verifies(after, old), Verifies(after, fresh)).ShouldBe((false, true));
    }

    [Fact]
    public async Task A_message_or_every_message_since_a_time_is_replayed()
    {
        var customer = await CustomerAsync();
        var first = await EventAsync("invoice.paid", customer, new { id = "in_before_endpoint" }); // before the endpoint existed
        Server.Clock.Advance(TimeSpan.FromSeconds(1));
        await RoundAsync();
        var (endpoint, _) = await EndpointAsync("replays", new[] { "invoice.*" }, customer);
        var second = await EventAsync("invoice.paid", customer, new { id = "in_after_endpoint" });
        await RoundAsync();
        Receiver.To("replays").Select(h => h.Id).ShouldBe([second]);

        var one = await Server.TestAdmin.PostAsync($"/api/v1/webhook-endpoints/{endpoint}/replay", new { message_id = second });
        (one.Status, one.Body!["replayed"]!.GetValue<int>()).ShouldBe((HttpStatusCode.OK, 1));
        await RoundAsync();
        Receiver.To("replays").Select(h => h.Id).ShouldBe([second, second]);

        var since = await Server.TestAdmin.PostAsync($"/api/v1/webhook-endpoints/{endpoint}/replay", new { since = Server.Clock.GetUtcNow().AddMinutes(-1) });
        since.Body!["replayed"]!.GetValue<int>().ShouldBe(2);
        await RoundAsync();
        Receiver.To("replays").Skip(2).Select(h => h.Id).ShouldBe([first, second], ignoreOrder: true);

        (await Server.TestAdmin.PostAsync($"/api/v1/webhook-endpoints/{endpoint}/replay", new { message_id = "msg_nope" })).Status.ShouldBe(HttpStatusCode.NotFound);
        (await Server.TestAdmin.PostAsync($"/api/v1/webhook-endpoints/{endpoint}/replay", new { })).Status.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_customer_key_manages_its_own_endpoints_and_hears_only_its_own_events()
    {
        var customer = await CustomerAsync();
        var other = await CustomerAsync();
        var key = (await Server.Admin.PostAsync("/api/v1/keys", new { name = "hooks", customer_id = customer, mode = "test", scopes = new[] { "webhooks:write" } })).Str("secret")!;
        var mine = Server.Client(key);

        var created = await mine.PostAsync("/api/v1/webhook-endpoints", new { url = Receiver.Url("b2b"), events = new[] { "invoice.*" } });
        created.Status.ShouldBe(HttpStatusCode.Created);
        created.Str("customer_id").ShouldBe(customer);
        (await mine.PostAsync("/api/v1/webhook-endpoints", new { url = Receiver.Url("b2b"), customer_id = other })).Status.ShouldBe(HttpStatusCode.NotFound);
        var othersEndpoint = await EndpointAsync("others", new[] { "invoice.*" }, other);
        (await mine.GetAsync($"/api/v1/webhook-endpoints/{othersEndpoint.Id}")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await mine.PostAsync($"/api/v1/webhook-endpoints/{othersEndpoint.Id}/disable")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await mine.GetAsync("/api/v1/webhook-endpoints")).Data.Select(e => e!["id"]!.GetValue<string>()).ShouldBe([created.Id]);
        var withoutScope = (await Server.Admin.PostAsync("/api/v1/keys", new { name = "app", customer_id = customer, mode = "test" })).Str("secret")!;
        (await Server.Client(withoutScope).GetAsync("/api/v1/webhook-endpoints")).Status.ShouldBe(HttpStatusCode.Forbidden);

        var own = await EventAsync("invoice.paid", customer, new { id = "in_own" });
        await EventAsync("invoice.paid", other, new { id = "in_not_own" });
        await EventAsync("invoice.paid", null, new { id = "in_nobodys" });
        await RoundAsync();
        Receiver.To("b2b").Select(h => h.Id).ShouldBe([own]);
    }

    [Fact]
    public async Task A_customer_has_at_most_fifty_endpoints()
    {
        var customer = await CustomerAsync();
        for (var i = 0; i < WebhookEndpointService.MostEndpoints; i++) await EndpointAsync($"many{i}", new[] { "invoice.paid" }, customer);

        var refused = await Server.TestAdmin.PostAsync("/api/v1/webhook-endpoints", new { url = Receiver.Url("one-more"), customer_id = customer });

        (refused.Status, refused.Code).ShouldBe((HttpStatusCode.Conflict, "too_many_webhook_endpoints"));
        (await Server.TestAdmin.PostAsync("/api/v1/webhook-endpoints", new { url = Receiver.Url("another"), customer_id = await CustomerAsync() })).Status.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Registration_refuses_what_cannot_be_an_endpoint()
    {
        async Task<string[]> Refused(ApiClient client, object body)
        {
            var answer = await client.PostAsync("/api/v1/webhook-endpoints", body);
            answer.Status.ShouldBe(HttpStatusCode.BadRequest);
            return answer.FieldErrors;
        }

        (await Refused(Server.Admin, new { url = "http://hooks.example.com/x" })).ShouldBe(["url"]); // a live endpoint must be https
        (await Refused(Server.TestAdmin, new { url = "http://hooks.example.com/x" })).ShouldBe(["url"]); // and plain http never crosses the internet
        (await Refused(Server.TestAdmin, new { url = "https://169.254.169.254/latest" })).ShouldBe(["url"]);
        (await Refused(Server.TestAdmin, new { url = "https://metadata.google.internal/" })).ShouldBe(["url"]);
        (await Refused(Server.TestAdmin, new { url = "https://[ff02::1]/" })).ShouldBe(["url"]);
        (await Refused(Server.TestAdmin, new { url = Receiver.Url("x"), events = new[] { "invoice.pay" } })).ShouldBe(["events"]);
        (await Refused(Server.TestAdmin, new { })).ShouldBe(["url"]);
        (await Server.TestAdmin.PostAsync("/api/v1/webhook-endpoints", new { url = Receiver.Url("x"), customer_id = "cus_missing" })).Status.ShouldBe(HttpStatusCode.NotFound);
        var live = await Server.Admin.PostAsync("/api/v1/webhook-endpoints", new { url = "https://hooks.example.com/tollgate", events = new[] { "invoice.*" } });
        (live.Status, live.Str("mode")).ShouldBe((HttpStatusCode.Created, "live"));
        (await Server.Admin.DeleteAsync($"/api/v1/webhook-endpoints/{live.Id}")).Status.ShouldBe(HttpStatusCode.OK);
        (await Server.Admin.GetAsync($"/api/v1/webhook-endpoints/{live.Id}")).Status.ShouldBe(HttpStatusCode.NotFound);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class WebhookDeliveryOnSqlite(SqliteServer server) : WebhookDeliveryTests(server);

[Collection(PostgresCollection.Name)]
public sealed class WebhookDeliveryOnPostgres(PostgresServer server) : WebhookDeliveryTests(server);
