using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Tollgate.IntegrationTests.Infrastructure;

/// <summary>
/// Razorpay on a loopback port, speaking its documented API (JSON bodies, HTTP Basic <c>key_id:key_secret</c>, the
/// <c>{"error": {"code", "description"}}</c> envelope, a payment link's <c>reference_id</c> unique, unknown fields
/// refused) and sending its webhooks as Razorpay does: <c>X-Razorpay-Signature</c> the hex HMAC-SHA256 of the body,
/// <c>X-Razorpay-Event-Id</c> the event's id. A test pays or lets expire a link as a customer would.
/// </summary>
public sealed class FakeRazorpay : LoopbackFake
{
    public const string KeyId = "rzp_test_fakekey";
    public const string KeySecret = "fake_key_secret";
    public const string WebhookSecret = "fake_razorpay_webhook_secret";

    static readonly HashSet<string> LinkFields =
        ["amount", "currency", "accept_partial", "reference_id", "description", "expire_by", "notify", "reminder_enable", "notes", "callback_url", "callback_method", "customer"];

    readonly ConcurrentDictionary<string, JsonObject> _objects = new();
    int _next;





    public ConcurrentQueue<(string Method, string Path, JsonObject? Body, string? RefundKey)> Requests { get; } = new();

    public static async Task<FakeRazorpay> StartAsync()
    {
        var fake = new FakeRazorpay();
        await fake.ListenAsync(app =>
        {
            app.MapPost("/v1/customers", c => fake.HandleAsync(c, fake.CreateCustomer));
            app.MapPost("/v1/payment_links", c => fake.HandleAsync(c, fake.CreateLink));
            app.MapGet("/v1/payment_links", c => fake.HandleAsync(c, _ => (200, new JsonObject
            {
                ["payment_links"] = new JsonArray([.. fake._objects.Values.Where(o => o["entity"]?.GetValue<string>() == "payment_link"
                    && o["reference_id"]?.GetValue<string>() == c.Request.Query["reference_id"].ToString()).Select(o => o.DeepClone())]),
            })));
            app.MapPost("/v1/payments/{id}/refund", c => fake.HandleAsync(c, body => fake.Refund(c.Request.RouteValues["id"]!.ToString()!, body)));
        });
        return fake;
    }

    public JsonObject Object(string id) => _objects[id];

    public string LinkByReference(string reference) =>
        _objects.Values.Single(o => o["entity"]?.GetValue<string>() == "payment_link" && o["reference_id"]?.GetValue<string>() == reference)["id"]!.GetValue<string>();

    string NewId(string prefix) => $"{prefix}_{Interlocked.Increment(ref _next):D4}{Guid.NewGuid():N}"[..(prefix.Length + 15)];

    long Now => Time.GetUtcNow().ToUnixTimeSeconds();

    static (int, JsonObject) Bad(string description) =>
        (400, new JsonObject { ["error"] = new JsonObject { ["code"] = "BAD_REQUEST_ERROR", ["description"] = description, ["source"] = "business", ["step"] = "NA", ["reason"] = "input_validation_failed", ["metadata"] = new JsonObject() } });

    async Task HandleAsync(HttpContext context, Func<JsonObject?, (int Status, JsonObject Body)> handle)
    {
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{KeyId}:{KeySecret}"));
        JsonObject? body = null;
        if (context.Request.ContentLength > 0) body = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
        Requests.Enqueue((context.Request.Method, context.Request.Path + context.Request.QueryString, body, context.Request.Headers["X-Refund-Idempotency"].FirstOrDefault()));
        int status;
        JsonObject answer;
        try
        {
            (status, answer) = context.Request.Headers.Authorization != expected
                ? (401, new JsonObject { ["error"] = new JsonObject { ["code"] = "BAD_REQUEST_ERROR", ["description"] = "Authentication failed" } })
                : handle(body);
        }
        catch (Exception e)
        {
            // A bug of the fake's own: answered as Razorpay answers a server error, with what broke.
            (status, answer) = (500, new JsonObject { ["error"] = new JsonObject { ["code"] = "SERVER_ERROR", ["description"] = e.ToString() } });
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer.ToJsonString());
    }

    (int, JsonObject) CreateCustomer(JsonObject? body)
    {
        var customer = new JsonObject
        {
            ["id"] = NewId("cust"), ["entity"] = "customer", ["name"] = body?["name"]?.GetValue<string>(), ["email"] = body?["email"]?.GetValue<string>(),
            ["notes"] = body?["notes"]?.DeepClone() ?? new JsonArray(), ["created_at"] = Now,
        };
        _objects[customer["id"]!.GetValue<string>()] = customer;
        return (200, customer);
    }

    (int, JsonObject) CreateLink(JsonObject? body)
    {
        if (body is null || body["amount"] is null) return Bad("The amount field is required.");
        if (body.Select(p => p.Key).FirstOrDefault(k => !LinkFields.Contains(k)) is { } extra) return Bad($"{extra} is/are not required and should not be sent");
        var amount = body["amount"]!.GetValue<long>();
        if (amount < 100) return Bad("The amount must be atleast INR 1.00");
        var reference = body["reference_id"]?.GetValue<string>();
        if (reference is { Length: > 40 }) return Bad("reference_id: the length must not be greater than 40.");
        if (reference is not null && _objects.Values.Any(o => o["entity"]?.GetValue<string>() == "payment_link" && o["reference_id"]?.GetValue<string>() == reference))
            return Bad("payment link creation with reference ID already attempted");
        var expireBy = body["expire_by"]?.GetValue<long>() ?? 0;
        if (expireBy != 0 && expireBy < Now + 15 * 60) return Bad("expire_by: timestamp must be atleast 15 minutes in future");
        if (body["callback_url"] is not null && body["callback_method"]?.GetValue<string>() != "get") return Bad("callback_method: must be get");
        var id = NewId("plink");
        var link = new JsonObject
        {
            ["id"] = id, ["entity"] = "payment_link", ["short_url"] = $"https://rzp.test/i/{id[6..]}", ["status"] = "created", ["amount"] = amount, ["amount_paid"] = 0,
            ["currency"] = body["currency"]?.GetValue<string>() ?? "INR", ["reference_id"] = reference, ["description"] = body["description"]?.GetValue<string>(),
            ["notify"] = body["notify"]?.DeepClone(), ["notes"] = body["notes"]?.DeepClone(), ["expire_by"] = expireBy, ["expired_at"] = 0, ["cancelled_at"] = 0,
            ["payments"] = null, ["created_at"] = Now, ["updated_at"] = Now,
        };
        _objects[id] = link;
        return (200, (JsonObject)link.DeepClone());
    }

    (int, JsonObject) Refund(string paymentId, JsonObject? body)
    {
        if (!_objects.TryGetValue(paymentId, out var payment)) return Bad("The id provided does not exist");
        var left = payment["amount"]!.GetValue<long>() - payment["amount_refunded"]!.GetValue<long>();
        var amount = body?["amount"]?.GetValue<long>() ?? left;
        if (left == 0) return Bad("The payment has been fully refunded already");
        if (amount > left) return Bad("The refund amount provided is greater than amount captured");
        payment["amount_refunded"] = payment["amount_refunded"]!.GetValue<long>() + amount;
        var refund = new JsonObject
        {
            ["id"] = NewId("rfnd"), ["entity"] = "refund", ["amount"] = amount, ["currency"] = payment["currency"]!.GetValue<string>(), ["payment_id"] = paymentId,
            ["notes"] = body?["notes"]?.DeepClone() ?? new JsonArray(), ["status"] = "processed", ["created_at"] = Now, ["speed_processed"] = "normal", ["speed_requested"] = "normal",
        };
        _objects[refund["id"]!.GetValue<string>()] = refund;
        return (200, refund);
    }

    /// <summary>The customer pays the link (UPI): a captured payment, and the <c>payment_link.paid</c> event, unsent. The payment carries no notes, as Razorpay's do not.</summary>
    public string PayLink(string linkId)
    {
        var link = _objects[linkId];
        var payment = new JsonObject
        {
            ["id"] = NewId("pay"), ["entity"] = "payment", ["amount"] = link["amount"]!.GetValue<long>(), ["currency"] = link["currency"]!.GetValue<string>(),
            ["status"] = "captured", ["captured"] = true, ["method"] = "upi", ["order_id"] = NewId("order"), ["amount_refunded"] = 0L, ["notes"] = new JsonArray(),
            ["error_code"] = null, ["error_description"] = null, ["email"] = null, ["contact"] = "+919876543210", ["created_at"] = Now,
        };
        _objects[payment["id"]!.GetValue<string>()] = payment;
        link["status"] = "paid";
        link["amount_paid"] = link["amount"]!.GetValue<long>();
        link["updated_at"] = Now;
        return Event("payment_link.paid", new JsonObject
        {
            ["payment_link"] = new JsonObject { ["entity"] = link.DeepClone() },
            ["order"] = new JsonObject { ["entity"] = new JsonObject { ["id"] = payment["order_id"]!.GetValue<string>(), ["entity"] = "order", ["status"] = "paid", ["notes"] = new JsonArray() } },
            ["payment"] = new JsonObject { ["entity"] = payment.DeepClone() },
        }, "payment_link", "order", "payment");
    }

    public string ExpireLink(string linkId)
    {
        var link = _objects[linkId];
        link["status"] = "expired";
        link["expired_at"] = Now;
        return Event("payment_link.expired", new JsonObject { ["payment_link"] = new JsonObject { ["entity"] = link.DeepClone() } }, "payment_link");
    }

    public string RefundEvent(string refundId)
    {
        var refund = _objects[refundId];
        return Event("refund.processed", new JsonObject
        {
            ["refund"] = new JsonObject { ["entity"] = refund.DeepClone() },
            ["payment"] = new JsonObject { ["entity"] = _objects[refund["payment_id"]!.GetValue<string>()].DeepClone() },
        }, "refund", "payment");
    }

    string Event(string type, JsonObject payload, params string[] contains) => new JsonObject
    {
        ["entity"] = "event", ["account_id"] = "acc_FakeAccount01", ["event"] = type, ["contains"] = new JsonArray([.. contains.Select(c => (JsonNode)c)]),
        ["payload"] = payload, ["created_at"] = Now,
    }.ToJsonString();

    public static string Sign(string body, string secret) => Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    /// <summary>Delivers an event as Razorpay does, with a new event id unless one is given (a redelivery keeps its id).</summary>
    public async Task<HttpResponseMessage> DeliverAsync(string body, string? eventId = null, string? signature = null)
    {
        return await PostWebhookAsync(body, ("X-Razorpay-Signature", signature ?? Sign(body, WebhookSecret)), ("X-Razorpay-Event-Id", eventId == "" ? null : eventId ?? NewId("evt")));
    }

}
