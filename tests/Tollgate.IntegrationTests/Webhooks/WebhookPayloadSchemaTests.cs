using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Tollgate.IntegrationTests.Infrastructure;
using Tollgate.Webhooks;
using Tollgate.Webhooks.Delivery;

namespace Tollgate.IntegrationTests.Webhooks;

/// <summary>
/// The event catalog in the OpenAPI document is what is sent: every type has a webhook entry, and each body an
/// endpoint receives validates, by a JSON Schema library, against its type's schema there.
/// </summary>
public abstract class WebhookPayloadSchemaTests(TollgateServer server) : WebhookReceiverTests(server)
{
    [Fact]
    public async Task Every_event_type_is_a_webhook_of_the_openapi_document_and_what_is_sent_validates_against_it()
    {
        var document = (await Server.Client(null).GetAsync("/openapi/v1.json")).Body!;
        var webhooks = document["webhooks"]!.AsObject();
        webhooks.Select(w => w.Key).ShouldBe(EventTypes.All, ignoreOrder: true);

        var created = await Server.TestAdmin.PostAsync("/api/v1/webhook-endpoints", new { url = Receiver.Url("all"), events = new[] { "*" } });
        created.Status.ShouldBe(HttpStatusCode.Created);

        // Customers, keys, a subscription with its first invoice: the events these write.
        var plan = $"schema_{Guid.NewGuid():N}"[..20];
        (await Server.TestAdmin.PostAsync("/api/v1/catalog/apply", new
        {
            plans = new[] { new { code = plan, name = "Schema", prices = new[] { new { interval = "month", currency = "USD", amount = 1900 } } } },
        })).Status.ShouldBe(HttpStatusCode.OK);
        var customer = (await Server.TestAdmin.PostAsync("/api/v1/customers", new { name = "Schema" })).Id;
        (await Server.TestAdmin.PatchAsync($"/api/v1/customers/{customer}", new { name = "Schema, renamed" })).Status.ShouldBe(HttpStatusCode.OK);
        (await Server.TestAdmin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan })).Status.ShouldBe(HttpStatusCode.Created);
        var key = (await Server.TestAdmin.PostAsync("/api/v1/keys", new { name = "schema", customer_id = customer, mode = "test" })).Id;
        (await Server.TestAdmin.PostAsync($"/api/v1/keys/{key}/rotate", new { })).Status.ShouldBe(HttpStatusCode.OK);
        (await Server.TestAdmin.PostAsync($"/api/v1/keys/{key}/revoke", new { })).Status.ShouldBe(HttpStatusCode.OK);
        (await Server.TestAdmin.DeleteAsync($"/api/v1/customers/{customer}")).Status.ShouldBe(HttpStatusCode.OK);

        var dispatcher = Server.Get<WebhookDispatcher>();
        for (var round = 0; round < 3; round++)
        {
            await dispatcher.RoundAsync(CancellationToken.None);
            await dispatcher.DrainAsync();
        }

        var ours = Receiver.To("all").Select(h => JsonNode.Parse(h.Body)!).ToList();
        var types = ours.Select(b => b["type"]!.GetValue<string>()).ToHashSet();
        string[] expected = ["customer.created", "customer.updated", "customer.deleted", "api_key.created", "api_key.rotated", "api_key.revoked", "subscription.created", "invoice.created", "invoice.finalized"];
        expected.Where(t => !types.Contains(t)).ShouldBeEmpty("every one of these was written and sent");
        foreach (var body in ours)
        {
            var type = body["type"]!.GetValue<string>();
            var results = SchemaOf(document, type).Evaluate(JsonDocument.Parse(body.ToJsonString()).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
            results.IsValid.ShouldBeTrue($"{type}: {string.Join("; ", (results.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} {e.Key}: {e.Value}")))}\n{body.ToJsonString()}");
        }

        // And a body that is not what its type says fails, so the check above can fail.
        var invoice = ours.First(b => b["type"]!.GetValue<string>() == "invoice.finalized").DeepClone();
        invoice["data"]!["total"] = "twelve";
        SchemaOf(document, "invoice.finalized").Evaluate(JsonDocument.Parse(invoice.ToJsonString()).RootElement).IsValid.ShouldBeFalse();
    }

    /// <summary>The webhook's body schema as a JSON Schema document, the components as its definitions.</summary>
    static JsonSchema SchemaOf(JsonNode document, string type)
    {
        var schema = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$defs"] = document["components"]!["schemas"]!.DeepClone(),
        };
        var body = document["webhooks"]![type]!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!.DeepClone().AsObject();
        foreach (var (name, value) in body.ToList())
        {
            body.Remove(name);
            schema[name] = value;
        }

        return JsonSchema.FromText(schema.ToJsonString().Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal), baseUri: new Uri($"https://tollgate.test/{Guid.NewGuid():N}"));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class WebhookPayloadSchemaOnSqlite(SqliteServer server) : WebhookPayloadSchemaTests(server);

[Collection(PostgresCollection.Name)]
public sealed class WebhookPayloadSchemaOnPostgres(PostgresServer server) : WebhookPayloadSchemaTests(server);
