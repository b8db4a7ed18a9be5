using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Tollgate.IntegrationTests.Infrastructure;

/// <summary>
/// Stripe on a loopback port, speaking its documented API (form-encoded requests with a Bearer secret key, JSON
/// answers, <c>Idempotency-Key</c> replays, a 402 card error embedding the PaymentIntent) and signing its webhooks as
/// Stripe does (<c>Stripe-Signature: t=…,v1=hex HMAC-SHA256 of "t.body"</c> keyed with the whole <c>whsec_</c> secret).
/// A test completes a checkout as a customer would (<see cref="CompleteCheckoutAsync"/>) and decides which saved cards decline.
/// </summary>
public sealed class FakeStripe : LoopbackFake
{
    public const string SecretKey = "sk_test_fake_stripe";
    public const string WebhookSecret = "whsec_fake_stripe_secret";

    readonly ConcurrentDictionary<string, JsonObject> _objects = new();
    readonly ConcurrentDictionary<string, (string Body, int Status)> _replays = new();
    int _next;

    FakeStripe(string key, string secret) => (Key, Secret) = (key, secret);

    /// <summary>The secret key this Stripe takes (an account's, test or live), and the webhook secret it signs with.</summary>
    public string Key { get; }

    public string Secret { get; }



    /// <summary>Cards (payment method ids) that decline every charge while they are in here.</summary>
    public ConcurrentDictionary<string, bool> Declining { get; } = new();

    /// <summary>Every request made, as path and form.</summary>
    public ConcurrentQueue<(string Method, string Path, Dictionary<string, string> Form, string? IdempotencyKey)> Requests { get; } = new();

    public static async Task<FakeStripe> StartAsync(string key = SecretKey, string secret = WebhookSecret)
    {
        var fake = new FakeStripe(key, secret);
        await fake.ListenAsync(app =>
        {
            app.MapPost("/v1/customers", c => fake.HandleAsync(c, fake.CreateCustomer));
            app.MapPost("/v1/checkout/sessions", c => fake.HandleAsync(c, fake.CreateSession));
            app.MapGet("/v1/checkout/sessions/{id}", c => fake.HandleAsync(c, _ => fake.GetSession(c.Request.RouteValues["id"]!.ToString()!, c.Request.Query["expand[]"])));
            app.MapPost("/v1/payment_intents", c => fake.HandleAsync(c, fake.CreateIntent));
            app.MapGet("/v1/payment_intents/{id}", c => fake.HandleAsync(c, _ => fake.GetPublic(c.Request.RouteValues["id"]!.ToString()!)));
            app.MapPost("/v1/refunds", c => fake.HandleAsync(c, fake.CreateRefund));
            app.MapPost("/v1/billing_portal/sessions", c => fake.HandleAsync(c, f => (200, new JsonObject
            {
                ["id"] = fake.NewId("bps"), ["object"] = "billing_portal.session", ["customer"] = f["customer"], ["return_url"] = f["return_url"],
                ["url"] = $"https://billing.stripe.test/p/session/{fake.NewId("test")}",
            })));
        });
        return fake;
    }

    public JsonObject Object(string id) => _objects[id];

    string NewId(string prefix) => $"{prefix}_{Interlocked.Increment(ref _next):D6}{Guid.NewGuid():N}"[..(prefix.Length + 1 + 20)];


    long Now => Time.GetUtcNow().ToUnixTimeSeconds();

    async Task HandleAsync(HttpContext context, Func<Dictionary<string, string>, (int Status, JsonObject Body)> handle)
    {
        if (context.Request.Headers.Authorization != $"Bearer {Key}")
        {
            await WriteAsync(context, 401, Error("invalid_request_error", null, "Invalid API Key provided."));
            return;
        }

        var form = new Dictionary<string, string>(StringComparer.Ordinal);
        if (context.Request.HasFormContentType)
        {
            foreach (var (name, value) in await context.Request.ReadFormAsync()) form[name] = value.ToString();
        }

        var key = context.Request.Method == "POST" ? context.Request.Headers["Idempotency-Key"].ToString() : "";
        Requests.Enqueue((context.Request.Method, context.Request.Path + context.Request.QueryString, form, key.Length == 0 ? null : key));
        if (key.Length > 0 && _replays.TryGetValue($"{context.Request.Path}:{key}", out var replay))
        {
            context.Response.Headers["Idempotent-Replayed"] = "true";
            await WriteAsync(context, replay.Status, replay.Body);
            return;
        }

        var (status, body) = handle(form);
        var text = body.ToJsonString();
        if (key.Length > 0) _replays[$"{context.Request.Path}:{key}"] = (text, status);
        await WriteAsync(context, status, text);
    }

    static async Task WriteAsync(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body);
    }

    static string Error(string type, string? code, string message, JsonObject? extra = null)
    {
        var error = new JsonObject { ["type"] = type, ["code"] = code, ["message"] = message };
        foreach (var (k, v) in extra ?? []) error[k] = v?.DeepClone();
        return new JsonObject { ["error"] = error }.ToJsonString();
    }

    (int, JsonObject) Get(string id) =>
        _objects.TryGetValue(id, out var found) ? (200, (JsonObject)found.DeepClone())
            : (404, JsonNode.Parse(Error("invalid_request_error", "resource_missing", $"No such object: '{id}'"))!.AsObject());

    (int, JsonObject) GetPublic(string id) => _objects.TryGetValue(id, out var found) ? (200, Public(found)) : Get(id);

    static JsonObject Metadata(Dictionary<string, string> form, string prefix)
    {
        var metadata = new JsonObject();
        foreach (var (k, v) in form.Where(f => f.Key.StartsWith(prefix + "[", StringComparison.Ordinal)))
        {
            var name = k[(prefix.Length + 1)..^1];
            if (!name.Contains('[')) metadata[name] = v;
        }

        return metadata;
    }

    static (int, JsonObject) Missing(string param) =>
        (400, JsonNode.Parse(Error("invalid_request_error", "parameter_missing", $"Missing required param: {param}."))!.AsObject());

    (int, JsonObject) CreateCustomer(Dictionary<string, string> form)
    {
        var customer = new JsonObject
        {
            ["id"] = NewId("cus"), ["object"] = "customer", ["name"] = form.GetValueOrDefault("name"), ["email"] = form.GetValueOrDefault("email"),
            ["metadata"] = Metadata(form, "metadata"), ["created"] = Now, ["livemode"] = false,
        };
        _objects[customer["id"]!.GetValue<string>()] = customer;
        return (200, customer);
    }

    (int, JsonObject) CreateSession(Dictionary<string, string> form)
    {
        if (!form.TryGetValue("mode", out var mode)) return Missing("mode");
        if (!form.ContainsKey("success_url")) return Missing("success_url");
        if (mode == "payment" && !form.ContainsKey("line_items[0][price_data][unit_amount]")) return Missing("line_items");
        if (mode == "setup" && !form.ContainsKey("currency")) return Missing("currency");
        var expires = long.Parse(form.GetValueOrDefault("expires_at") ?? (Now + 86_400).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        if (expires < Now + 1800 || expires > Now + 86_400)
            return (400, JsonNode.Parse(Error("invalid_request_error", "parameter_invalid_integer", "expires_at must be 30 minutes to 24 hours from now.", new JsonObject { ["param"] = "expires_at" }))!.AsObject());
        var id = NewId("cs_test");
        var session = new JsonObject
        {
            ["id"] = id, ["object"] = "checkout.session", ["mode"] = mode, ["status"] = "open", ["payment_status"] = "unpaid",
            ["customer"] = form.GetValueOrDefault("customer"), ["client_reference_id"] = form.GetValueOrDefault("client_reference_id"),
            ["success_url"] = form["success_url"], ["cancel_url"] = form.GetValueOrDefault("cancel_url"), ["created"] = Now, ["expires_at"] = expires,
            ["url"] = $"https://checkout.stripe.test/c/pay/{id}", ["metadata"] = Metadata(form, "metadata"), ["livemode"] = false,
            ["payment_intent"] = null, ["setup_intent"] = null,
            ["amount_total"] = mode == "payment" ? long.Parse(form["line_items[0][price_data][unit_amount]"], CultureInfo.InvariantCulture) : null,
            ["currency"] = form.GetValueOrDefault("line_items[0][price_data][currency]") ?? form.GetValueOrDefault("currency"),
            // What Checkout will put on the PaymentIntent or SetupIntent it makes: kept aside, as Stripe does.
            ["_intent_metadata"] = Metadata(form, mode == "payment" ? "payment_intent_data[metadata]" : "setup_intent_data[metadata]"),
            ["_setup_future_usage"] = form.GetValueOrDefault("payment_intent_data[setup_future_usage]"),
        };
        _objects[id] = session;
        return (200, Public(session));
    }

    static JsonObject Public(JsonObject o)
    {
        var copy = (JsonObject)o.DeepClone();
        foreach (var hidden in copy.Where(p => p.Key.StartsWith('_')).Select(p => p.Key).ToList()) copy.Remove(hidden);
        return copy;
    }

    /// <summary>A session, with <c>payment_intent</c> and <c>setup_intent</c> expanded into their objects when asked.</summary>
    (int, JsonObject) GetSession(string id, Microsoft.Extensions.Primitives.StringValues expand)
    {
        if (!_objects.TryGetValue(id, out var found)) return Get(id);
        var session = Public(found);
        foreach (var field in expand)
        {
            if (field is "payment_intent" or "setup_intent" && session[field!]?.GetValue<string>() is { } child && _objects.TryGetValue(child, out var expanded))
                session[field!] = Public(expanded);
        }

        return (200, session);
    }

    (int, JsonObject) Intent(long amount, string currency, string? customer, string? method, JsonObject metadata, string? futureUsage, bool declined)
    {
        var id = NewId("pi");
        var intent = new JsonObject
        {
            ["id"] = id, ["object"] = "payment_intent", ["amount"] = amount, ["amount_received"] = declined ? 0 : amount, ["currency"] = currency,
            ["customer"] = customer, ["payment_method"] = method, ["metadata"] = metadata, ["created"] = Now, ["livemode"] = false,
            ["setup_future_usage"] = futureUsage, ["status"] = declined ? "requires_payment_method" : "succeeded",
            ["latest_charge"] = NewId("ch"),
            ["last_payment_error"] = declined
                ? new JsonObject { ["type"] = "card_error", ["code"] = "card_declined", ["decline_code"] = "insufficient_funds", ["message"] = "Your card has insufficient funds." }
                : null,
        };
        _objects[id] = intent;
        return (200, intent);
    }

    (int, JsonObject) CreateIntent(Dictionary<string, string> form)
    {
        if (!form.TryGetValue("amount", out var amount)) return Missing("amount");
        if (!form.TryGetValue("currency", out var currency)) return Missing("currency");
        var method = form.GetValueOrDefault("payment_method");
        var declined = method is not null && Declining.ContainsKey(method);
        var (_, intent) = Intent(long.Parse(amount, CultureInfo.InvariantCulture), currency, form.GetValueOrDefault("customer"), method, Metadata(form, "metadata"), null, declined);
        if (!declined) return (200, intent);
        var error = JsonNode.Parse(Error("card_error", "card_declined", "Your card has insufficient funds.",
            new JsonObject { ["decline_code"] = "insufficient_funds", ["payment_intent"] = intent.DeepClone() }))!.AsObject();
        return (402, error);
    }

    (int, JsonObject) CreateRefund(Dictionary<string, string> form)
    {
        if (!form.TryGetValue("payment_intent", out var intentId)) return Missing("payment_intent");
        if (!_objects.TryGetValue(intentId, out var intent)) return Get(intentId);
        var received = intent["amount_received"]!.GetValue<long>();
        var refunded = intent["_refunded"]?.GetValue<long>() ?? 0;
        var amount = form.TryGetValue("amount", out var a) ? long.Parse(a, CultureInfo.InvariantCulture) : received - refunded;
        if (amount <= 0 || amount > received - refunded)
            return (400, JsonNode.Parse(Error("invalid_request_error", "amount_too_large", $"Refund amount ({amount}) is greater than unrefunded amount on charge ({received - refunded})."))!.AsObject());
        intent["_refunded"] = refunded + amount;
        var refund = new JsonObject
        {
            ["id"] = NewId("re"), ["object"] = "refund", ["amount"] = amount, ["currency"] = intent["currency"]!.GetValue<string>(), ["payment_intent"] = intentId,
            ["charge"] = intent["latest_charge"]!.GetValue<string>(), ["status"] = "succeeded", ["reason"] = form.GetValueOrDefault("reason"),
            ["metadata"] = Metadata(form, "metadata"), ["created"] = Now,
        };
        _objects[refund["id"]!.GetValue<string>()] = refund;
        return (200, refund);
    }

    /// <summary>
    /// The customer pays at the hosted page with <paramref name="card"/>: the session completes, a PaymentIntent (or in
    /// setup mode a SetupIntent) is made with the metadata the session carried, and the two events Stripe sends are
    /// answered, unsent: <c>checkout.session.completed</c> and, in payment mode, <c>payment_intent.succeeded</c>.
    /// </summary>
    public IReadOnlyList<string> CompleteCheckout(string sessionId, string card = "pm_card_visa")
    {
        var session = _objects[sessionId];
        var metadata = (JsonObject)session["_intent_metadata"]!.DeepClone();
        var events = new List<string>();
        if (session["mode"]!.GetValue<string>() == "payment")
        {
            var (_, intent) = Intent(session["amount_total"]!.GetValue<long>(), session["currency"]!.GetValue<string>(), session["customer"]?.GetValue<string>(), card,
                metadata, session["_setup_future_usage"]?.GetValue<string>(), declined: false);
            session["payment_intent"] = intent["id"]!.GetValue<string>();
            session["payment_status"] = "paid";
            events.Add(Event("payment_intent.succeeded", intent));
        }
        else
        {
            var setup = new JsonObject
            {
                ["id"] = NewId("seti"), ["object"] = "setup_intent", ["status"] = "succeeded", ["payment_method"] = card, ["usage"] = "off_session",
                ["customer"] = session["customer"]?.GetValue<string>(), ["metadata"] = metadata, ["created"] = Now,
            };
            _objects[setup["id"]!.GetValue<string>()] = setup;
            session["setup_intent"] = setup["id"]!.GetValue<string>();
            session["payment_status"] = "no_payment_required";
        }

        session["status"] = "complete";
        session["url"] = null;
        events.Insert(0, Event("checkout.session.completed", Public(session)));
        return events;
    }

    public string Event(string type, JsonObject target) => new JsonObject
    {
        ["id"] = NewId("evt"), ["object"] = "event", ["api_version"] = "2026-07-29.dahlia", ["created"] = Now, ["type"] = type, ["livemode"] = false,
        ["pending_webhooks"] = 1, ["request"] = new JsonObject { ["id"] = null, ["idempotency_key"] = null },
        ["data"] = new JsonObject { ["object"] = Public(target) },
    }.ToJsonString();

    /// <summary>Stripe-Signature for <paramref name="body"/> signed at <paramref name="at"/> with <paramref name="secrets"/> (one <c>v1</c> each).</summary>
    public static string Sign(string body, DateTimeOffset at, params string[] secrets)
    {
        var t = at.ToUnixTimeSeconds();
        var signatures = secrets.Select(s => "v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(s), Encoding.UTF8.GetBytes($"{t}.{body}"))));
        return $"t={t},{string.Join(",", signatures)}";
    }

    /// <summary>Delivers an event to Tollgate as Stripe does: POSTed JSON, signed now with the webhook secret unless a header is given.</summary>
    public async Task<HttpResponseMessage> DeliverAsync(string body, string? signature = null)
    {
        return await PostWebhookAsync(body, ("Stripe-Signature", signature ?? Sign(body, Time.GetUtcNow(), Secret)));
    }

}
