using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Tollgate.IntegrationTests.Infrastructure;

/// <summary>
/// LemonSqueezy on a loopback port, speaking its documented JSON:API (bearer key, <c>application/vnd.api+json</c> both
/// ways, <c>{"errors": [{"status", "title", "detail"}]}</c>, string ids and integer foreign keys, one customer per
/// email in a store, checkouts that need the store and an existing variant and take a positive <c>custom_price</c>,
/// orders refunded by amount) and sending its webhooks as LemonSqueezy does: <c>X-Signature</c> the hex HMAC-SHA256 of
/// the body, <c>X-Event-Name</c>, the checkout's custom data as <c>meta.custom_data</c>, a new <c>meta.webhook_id</c>
/// per dispatch. As merchant of record it adds 10% tax. A test pays a checkout or refunds at the dashboard.
/// </summary>
public sealed class FakeLemonSqueezy : LoopbackFake
{
    public const string ApiKey = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.fake-lemonsqueezy-test-key";
    public const string StoreId = "24905";
    public const string VariantId = "111545";
    public const string SigningSecret = "fake_ls_signing_secret";

    readonly ConcurrentDictionary<string, JsonObject> _objects = new();
    readonly object _gate = new();
    int _next = 1000;





    public ConcurrentQueue<(string Method, string Path, string? ContentType, JsonObject? Body)> Requests { get; } = new();

    public static async Task<FakeLemonSqueezy> StartAsync()
    {
        var fake = new FakeLemonSqueezy();
        await fake.ListenAsync(app =>
        {
            app.MapGet("/v1/customers", c => fake.HandleAsync(c, _ => fake.Customers(c.Request.Query["filter[store_id]"].ToString(), c.Request.Query["filter[email]"].ToString())));
            app.MapPost("/v1/customers", c => fake.HandleAsync(c, fake.CreateCustomer));
            app.MapGet("/v1/customers/{id}", c => fake.HandleAsync(c, _ => fake.Get(c.Request.RouteValues["id"]!.ToString()!)));
            app.MapPost("/v1/checkouts", c => fake.HandleAsync(c, fake.CreateCheckout));
            app.MapPost("/v1/orders/{id}/refund", c => fake.HandleAsync(c, body => fake.Refund(c.Request.RouteValues["id"]!.ToString()!, body)));
        });
        return fake;
    }

    public JsonObject Object(string id) => _objects[id];

    string Now => Time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    static (int, JsonObject) Error(int status, string title, string detail) =>
        (status, new JsonObject { ["jsonapi"] = new JsonObject { ["version"] = "1.0" }, ["errors"] = new JsonArray(new JsonObject { ["status"] = status.ToString(System.Globalization.CultureInfo.InvariantCulture), ["title"] = title, ["detail"] = detail }) });

    static JsonObject Resource(string type, string id, JsonObject attributes) => new() { ["type"] = type, ["id"] = id, ["attributes"] = attributes };

    static (int, JsonObject) Document(int status, JsonNode data) => (status, new JsonObject { ["jsonapi"] = new JsonObject { ["version"] = "1.0" }, ["data"] = data.DeepClone() });

    async Task HandleAsync(HttpContext context, Func<JsonObject?, (int Status, JsonObject Body)> handle)
    {
        JsonObject? body = null;
        if (context.Request.ContentLength > 0) body = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
        Requests.Enqueue((context.Request.Method, context.Request.Path + context.Request.QueryString, context.Request.ContentType, body));
        int status;
        JsonObject answer;
        try
        {
            if (context.Request.Headers.Authorization != $"Bearer {ApiKey}") (status, answer) = Error(401, "Unauthenticated", "Unauthenticated.");
            else if (context.Request.Headers.Accept != "application/vnd.api+json") (status, answer) = Error(406, "Not Acceptable", "Accept must be application/vnd.api+json");
            else if (body is not null && context.Request.ContentType != "application/vnd.api+json") (status, answer) = Error(415, "Unsupported Media Type", "Content-Type must be application/vnd.api+json");
            else lock (_gate) (status, answer) = handle(body);
        }
        catch (Exception e)
        {
            (status, answer) = Error(500, "Server Error", e.ToString()); // a bug of the fake's own, with what broke
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/vnd.api+json";
        await context.Response.WriteAsync(answer.ToJsonString());
    }

    (int, JsonObject) Get(string id) => _objects.TryGetValue(id, out var found) ? Document(200, found) : Error(404, "Not Found", "Not found.");

    (int, JsonObject) Customers(string store, string email) =>
        Document(200, new JsonArray([.. _objects.Values.Where(o => o["type"]!.GetValue<string>() == "customers" && store == StoreId
            && o["attributes"]!["email"]!.GetValue<string>() == email).Select(o => o.DeepClone())]));

    (int, JsonObject) CreateCustomer(JsonObject? body)
    {
        var data = body?["data"];
        if (data?["type"]?.GetValue<string>() != "customers") return Error(422, "Unprocessable Entity", "data.type must be customers");
        if (data["relationships"]?["store"]?["data"]?["id"]?.GetValue<string>() != StoreId) return Error(404, "Not Found", "store not found");
        var email = data["attributes"]?["email"]?.GetValue<string>();
        if (string.IsNullOrEmpty(data["attributes"]?["name"]?.GetValue<string>()) || string.IsNullOrEmpty(email)) return Error(422, "Unprocessable Entity", "The name and email fields are required.");
        if (_objects.Values.Any(o => o["type"]!.GetValue<string>() == "customers" && o["attributes"]!["email"]!.GetValue<string>() == email))
            return Error(422, "Unprocessable Entity", "The email has already been taken.");
        var id = Interlocked.Increment(ref _next).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var customer = Resource("customers", id, new JsonObject
        {
            ["store_id"] = long.Parse(StoreId), ["name"] = data["attributes"]!["name"]!.GetValue<string>(), ["email"] = email, ["status"] = "subscribed",
            ["country"] = data["attributes"]!["country"]?.GetValue<string>(), ["urls"] = new JsonObject { ["customer_portal"] = null },
            ["created_at"] = Now, ["updated_at"] = Now, ["test_mode"] = true,
        });
        _objects[id] = customer;
        return Document(201, customer);
    }

    (int, JsonObject) CreateCheckout(JsonObject? body)
    {
        var data = body?["data"];
        if (data?["type"]?.GetValue<string>() != "checkouts") return Error(422, "Unprocessable Entity", "data.type must be checkouts");
        if (data["relationships"]?["store"]?["data"]?["id"]?.GetValue<string>() != StoreId) return Error(404, "Not Found", "store not found");
        if (data["relationships"]?["variant"]?["data"]?["id"]?.GetValue<string>() != VariantId) return Error(404, "Not Found", "variant not found");
        var attributes = data["attributes"]!.AsObject();
        if (attributes["custom_price"] is not JsonValue price || !price.TryGetValue<long>(out var amount) || amount <= 0)
            return Error(422, "Unprocessable Entity", "The custom price must be a positive integer.");
        var id = Guid.NewGuid().ToString();
        var checkout = Resource("checkouts", id, new JsonObject
        {
            ["store_id"] = long.Parse(StoreId), ["variant_id"] = long.Parse(VariantId), ["custom_price"] = amount,
            ["product_options"] = attributes["product_options"]?.DeepClone(), ["checkout_data"] = attributes["checkout_data"]?.DeepClone(),
            ["expires_at"] = attributes["expires_at"]?.DeepClone(), ["created_at"] = Now, ["updated_at"] = Now, ["test_mode"] = true,
            ["url"] = $"https://tollgate-test.lemonsqueezy.test/checkout/custom/{id}?signature=fake",
        });
        _objects[id] = checkout;
        return Document(201, checkout);
    }

    /// <summary>The customer pays the checkout: an order at the custom price with LemonSqueezy's 10% tax on top, and its <c>order_created</c>, unsent.</summary>
    public string PayCheckout(string checkoutId)
    {
        lock (_gate)
        {
            var checkout = _objects[checkoutId]["attributes"]!;
            if (checkout["expires_at"]?.GetValue<string>() is { } expires && DateTimeOffset.Parse(expires, System.Globalization.CultureInfo.InvariantCulture) < Time.GetUtcNow())
                throw new InvalidOperationException($"Checkout {checkoutId} expired at {expires}: LemonSqueezy's page takes no payment.");
            var subtotal = checkout["custom_price"]!.GetValue<long>();
            var customer = _objects.Values.FirstOrDefault(o => o["type"]!.GetValue<string>() == "customers"
                && o["attributes"]!["email"]!.GetValue<string>() == checkout["checkout_data"]?["email"]?.GetValue<string>());
            var id = Interlocked.Increment(ref _next).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var order = Resource("orders", id, new JsonObject
            {
                ["store_id"] = long.Parse(StoreId), ["customer_id"] = customer is null ? null : long.Parse(customer["id"]!.GetValue<string>()), ["identifier"] = Guid.NewGuid().ToString(),
                ["currency"] = "USD", ["subtotal"] = subtotal, ["tax"] = subtotal / 10, ["total"] = subtotal + subtotal / 10, ["tax_inclusive"] = false,
                ["status"] = "paid", ["refunded"] = false, ["refunded_amount"] = 0L, ["refunded_at"] = null, ["created_at"] = Now, ["updated_at"] = Now, ["test_mode"] = true,
            });
            order["_custom"] = checkout["checkout_data"]?["custom"]?.DeepClone();
            _objects[id] = order;
            return Event("order_created", order);
        }
    }

    /// <summary>Sends <c>order_refunded</c> before answering the refund's request, as a slow answer lets it arrive first.</summary>
    public bool RefundEventsFirst { get; set; }

    (int, JsonObject) Refund(string orderId, JsonObject? body)
    {
        if (!_objects.TryGetValue(orderId, out var order) || order["type"]!.GetValue<string>() != "orders") return Error(404, "Not Found", "Not found.");
        var left = order["attributes"]!["total"]!.GetValue<long>() - order["attributes"]!["refunded_amount"]!.GetValue<long>();
        var amount = body?["data"]?["attributes"]?["amount"]?.GetValue<long>() ?? left;
        if (amount <= 0 || amount > left) return Error(422, "Unprocessable Entity", $"The amount must be between 1 and {left}.");
        var refunded = Refunded(order, amount);
        if (RefundEventsFirst) DeliverAsync(Event("order_refunded", order)).GetAwaiter().GetResult().StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
        return Document(200, refunded);
    }

    JsonObject Refunded(JsonObject order, long amount)
    {
        var attributes = order["attributes"]!;
        var refunded = attributes["refunded_amount"]!.GetValue<long>() + amount;
        var full = refunded == attributes["total"]!.GetValue<long>();
        attributes["refunded_amount"] = refunded;
        attributes["refunded"] = full;
        attributes["status"] = full ? "refunded" : "partial_refund";
        attributes["refunded_at"] = Now;
        attributes["updated_at"] = Now;
        var shown = (JsonObject)order.DeepClone();
        shown.Remove("_custom");
        return shown;
    }

    /// <summary>A refund made at LemonSqueezy's dashboard, not through Tollgate: its <c>order_refunded</c>, unsent.</summary>
    public string RefundAtDashboard(string orderId, long amount)
    {
        lock (_gate)
        {
            Refunded(_objects[orderId], amount);
            return Event("order_refunded", _objects[orderId]);
        }
    }

    public string Event(string name, JsonObject resource)
    {
        var data = (JsonObject)resource.DeepClone();
        var custom = data["_custom"]?.DeepClone();
        data.Remove("_custom");
        var meta = new JsonObject { ["test_mode"] = true, ["event_name"] = name, ["webhook_id"] = Guid.NewGuid().ToString() };
        if (custom is not null) meta["custom_data"] = custom;
        return new JsonObject { ["meta"] = meta, ["data"] = data }.ToJsonString();
    }

    public static string Sign(string body, string secret) => Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    /// <summary>Delivers a webhook as LemonSqueezy does: POSTed JSON with its event's name and the body's signature.</summary>
    public async Task<HttpResponseMessage> DeliverAsync(string body, string? signature = null)
    {
        return await PostWebhookAsync(body, ("X-Event-Name", JsonNode.Parse(body)?["meta"]?["event_name"]?.GetValue<string>()), ("X-Signature", signature ?? Sign(body, SigningSecret)));
    }

}
