using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Tollgate.IntegrationTests.Infrastructure;

/// <summary>
/// Paddle Billing on a loopback port, speaking its documented API (bearer key, <c>{"data", "meta"}</c> and
/// <c>{"error": {"type", "code", "detail"}}</c> envelopes, amounts as strings of minor units, non-catalog prices that
/// need a description, a unit price and a product, a subscription made when a transaction with a recurring item
/// completes, one-time charges on it that collect at once or answer <c>subscription_payment_declined</c>, refunds as
/// adjustments pending approval) and signing its notifications as Paddle does (<c>Paddle-Signature: ts=…;h1=hex
/// HMAC-SHA256 of "ts:body"</c>). As merchant of record it adds 10% tax on top of every price. A test completes a
/// checkout, approves a refund or cancels at the portal as the customer and Paddle would.
/// </summary>
public sealed class FakePaddle : LoopbackFake
{
    public const string ApiKey = "pdl_sdbx_apikey_01fakefakefakefakefakefake_FakeSecret";
    public const string WebhookSecret = "pdl_ntfset_01fakefakefakefakefakefake_FakeWebhookSecret";

    /// <summary>A card that pays, and one Paddle saves but whose later charges are declined.</summary>
    public const string GoodCard = "4242424242424242", DecliningCard = "4000000000000341";

    readonly ConcurrentDictionary<string, JsonObject> _objects = new();
    readonly ConcurrentQueue<string> _events = new();
    readonly object _gate = new();





    public ConcurrentQueue<(string Method, string Path, JsonObject? Body)> Requests { get; } = new();

    public static async Task<FakePaddle> StartAsync()
    {
        var fake = new FakePaddle();
        await fake.ListenAsync(app =>
        {
            app.MapPost("/customers", c => fake.HandleAsync(c, fake.CreateCustomer));
            app.MapGet("/customers", c => fake.HandleAsync(c, _ => fake.List("customer", o => o["email"]?.GetValue<string>() == c.Request.Query["email"].ToString())));
            app.MapPost("/customers/{id}/portal-sessions", c => fake.HandleAsync(c, _ => fake.Portal(c.Request.RouteValues["id"]!.ToString()!)));
            app.MapPost("/transactions", c => fake.HandleAsync(c, fake.CreateTransaction));
            app.MapGet("/transactions", c => fake.HandleAsync(c, _ => fake.List("transaction", o => Matches(o, c.Request.Query))));
            app.MapGet("/transactions/{id}", c => fake.HandleAsync(c, _ => fake.Get(c.Request.RouteValues["id"]!.ToString()!)));
            app.MapPatch("/transactions/{id}", c => fake.HandleAsync(c, body => fake.UpdateTransaction(c.Request.RouteValues["id"]!.ToString()!, body)));
            app.MapGet("/subscriptions/{id}", c => fake.HandleAsync(c, _ => fake.Get(c.Request.RouteValues["id"]!.ToString()!)));
            app.MapPost("/subscriptions/{id}/charge", c => fake.HandleAsync(c, body => fake.Charge(c.Request.RouteValues["id"]!.ToString()!, body)));
            app.MapPost("/subscriptions/{id}/cancel", c => fake.HandleAsync(c, _ => fake.Cancel(c.Request.RouteValues["id"]!.ToString()!)));
            app.MapPost("/subscriptions/{id}/pause", c => fake.HandleAsync(c, body => fake.Pause(c.Request.RouteValues["id"]!.ToString()!, body, pause: true)));
            app.MapPost("/subscriptions/{id}/resume", c => fake.HandleAsync(c, body => fake.Pause(c.Request.RouteValues["id"]!.ToString()!, body, pause: false)));
            app.MapPost("/adjustments", c => fake.HandleAsync(c, fake.CreateAdjustment));
            app.MapGet("/adjustments", c => fake.HandleAsync(c, _ => fake.List("adjustment", o => Matches(o, c.Request.Query))));
        });
        return fake;
    }

    public JsonObject Object(string id) => _objects[id];

    /// <summary>
    /// The notifications Paddle has to send for what the API did (a charge, a cancellation, a pause) to a subscription,
    /// taken to be delivered; those of other subscriptions (other tests') stay.
    /// </summary>
    public List<string> TakeEvents(string subscriptionId)
    {
        lock (_gate)
        {
            var all = new List<string>();
            while (_events.TryDequeue(out var e)) all.Add(e);
            bool About(string e) => JsonNode.Parse(e)!["data"] is { } data && (data["id"]?.GetValue<string>() == subscriptionId || data["subscription_id"]?.GetValue<string>() == subscriptionId);
            foreach (var other in all.Where(e => !About(e))) _events.Enqueue(other);
            return [.. all.Where(About)];
        }
    }

    static string NewId(string prefix) => $"{prefix}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(13))}";

    string Now => Time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    static (int, JsonObject) Error(int status, string code, string detail) =>
        (status, new JsonObject
        {
            ["error"] = new JsonObject { ["type"] = "request_error", ["code"] = code, ["detail"] = detail, ["documentation_url"] = $"https://developer.paddle.com/errors/shared/{code}" },
            ["meta"] = new JsonObject { ["request_id"] = Guid.NewGuid().ToString() },
        });

    static (int, JsonObject) Data(int status, JsonNode data) => (status, new JsonObject { ["data"] = data.DeepClone(), ["meta"] = new JsonObject { ["request_id"] = Guid.NewGuid().ToString() } });

    async Task HandleAsync(HttpContext context, Func<JsonObject?, (int Status, JsonObject Body)> handle)
    {
        JsonObject? body = null;
        if (context.Request.ContentLength > 0) body = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
        Requests.Enqueue((context.Request.Method, context.Request.Path + context.Request.QueryString, body));
        int status;
        JsonObject answer;
        try
        {
            if (context.Request.Headers.Authorization != $"Bearer {ApiKey}") (status, answer) = Error(403, "invalid_token", "Invalid or revoked API key");
            else if (context.Request.Headers["Paddle-Version"] != "1") (status, answer) = Error(400, "invalid_version", "Paddle-Version must be 1");
            else lock (_gate) (status, answer) = handle(body);
        }
        catch (Exception e)
        {
            (status, answer) = Error(500, "internal_error", e.ToString()); // a bug of the fake's own, with what broke
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer.ToJsonString());
    }

    (int, JsonObject) List(string kind, Func<JsonObject, bool> matches) =>
        Data(200, new JsonArray([.. _objects.Values.Where(o => o["_kind"]!.GetValue<string>() == kind && matches(o))
            .OrderByDescending(o => o["created_at"]!.GetValue<string>(), StringComparer.Ordinal).Select(Public)]));

    (int, JsonObject) Get(string id) => _objects.TryGetValue(id, out var found) ? Data(200, Public(found)) : Error(404, "not_found", $"Entity {id} not found");

    /// <summary>An object as the API shows it: without the fake's own bookkeeping (fields starting with <c>_</c>).</summary>
    static JsonNode Public(JsonObject o)
    {
        var shown = new JsonObject();
        foreach (var (key, value) in o.Where(p => !p.Key.StartsWith('_'))) shown[key] = value?.DeepClone();
        return shown;
    }

    static bool Matches(JsonObject o, IQueryCollection query) =>
        query.Where(q => q.Key is not ("order_by" or "per_page" or "after")).All(q =>
            q.Value.ToString().Split(',').Contains(o[q.Key]?.GetValue<string>()));

    (int, JsonObject) CreateCustomer(JsonObject? body)
    {
        var email = body?["email"]?.GetValue<string>();
        if (string.IsNullOrEmpty(email)) return Error(400, "bad_request", "email is required");
        if (_objects.Values.FirstOrDefault(o => o["_kind"]!.GetValue<string>() == "customer" && o["email"]!.GetValue<string>() == email) is { } existing)
            return Error(409, "customer_already_exists", $"customer email conflicts with customer of id {existing["id"]}");
        var customer = new JsonObject
        {
            ["_kind"] = "customer", ["id"] = NewId("ctm"), ["status"] = "active", ["name"] = body!["name"]?.GetValue<string>(), ["email"] = email,
            ["custom_data"] = body["custom_data"]?.DeepClone(), ["locale"] = "en", ["created_at"] = Now, ["updated_at"] = Now,
        };
        _objects[customer["id"]!.GetValue<string>()] = customer;
        return Data(201, Public(customer));
    }

    (int, JsonObject) Portal(string customer) =>
        !_objects.ContainsKey(customer) ? Error(404, "not_found", $"Entity {customer} not found") : Data(201, new JsonObject
        {
            ["id"] = NewId("cpls"), ["customer_id"] = customer,
            ["urls"] = new JsonObject { ["general"] = new JsonObject { ["overview"] = $"https://customer-portal.paddle.test/cpl_fake?action=overview&token=pga_{customer}" }, ["subscriptions"] = new JsonArray() },
            ["created_at"] = Now,
        });

    /// <summary>A non-catalog price as Paddle checks one: why it is refused, or null.</summary>
    static string? Refused(JsonObject? item, bool oneTimeOnly)
    {
        var price = item?["price"] as JsonObject;
        if (item?["quantity"]?.GetValue<int>() is not > 0) return "items[].quantity must be at least 1";
        if (price is null) return "items[].price is required (price_id is not used by Tollgate)";
        if (string.IsNullOrEmpty(price["description"]?.GetValue<string>())) return "price.description is required";
        if (price["unit_price"]?["amount"] is not JsonValue amount || !amount.TryGetValue<string>(out var text) || !long.TryParse(text, out var minor) || minor < 0)
            return "price.unit_price.amount must be a string of a non-negative integer";
        if (price["product"]?["name"] is null || price["product"]?["tax_category"] is null) return "price.product needs name and tax_category";
        if (oneTimeOnly && price["billing_cycle"] is not null) return "only one-time prices can be charged";
        return null;
    }

    /// <summary>Line items and totals as Paddle works them out, with the merchant of record's 10% tax on top.</summary>
    JsonObject Details(JsonArray items, string currency)
    {
        var lines = new JsonArray();
        long subtotal = 0, tax = 0;
        foreach (var item in items)
        {
            var amount = long.Parse(item!["price"]!["unit_price"]!["amount"]!.GetValue<string>(), CultureInfo.InvariantCulture) * item["quantity"]!.GetValue<int>();
            var lineTax = amount / 10;
            subtotal += amount;
            tax += lineTax;
            lines.Add(new JsonObject { ["id"] = NewId("txnitm"), ["quantity"] = item["quantity"]!.GetValue<int>(), ["tax_rate"] = "0.1", ["totals"] = Totals(amount, lineTax, currency) });
        }

        return new JsonObject { ["totals"] = Totals(subtotal, tax, currency), ["line_items"] = lines };
    }

    static JsonObject Totals(long subtotal, long tax, string currency)
    {
        string S(long v) => v.ToString(CultureInfo.InvariantCulture);
        return new JsonObject
        {
            ["subtotal"] = S(subtotal), ["discount"] = "0", ["tax"] = S(tax), ["total"] = S(subtotal + tax), ["credit"] = "0", ["balance"] = S(subtotal + tax),
            ["grand_total"] = S(subtotal + tax), ["currency_code"] = currency,
        };
    }

    (int, JsonObject) CreateTransaction(JsonObject? body)
    {
        if (body?["items"] is not JsonArray { Count: > 0 } items) return Error(400, "bad_request", "items is required");
        if (items.Select(i => Refused(i as JsonObject, oneTimeOnly: false)).FirstOrDefault(r => r is not null) is { } refused) return Error(400, "bad_request", refused);
        var customer = body["customer_id"]?.GetValue<string>();
        if (customer is not null && !_objects.ContainsKey(customer)) return Error(400, "bad_request", $"customer {customer} does not exist");
        var currency = body["currency_code"]?.GetValue<string>() ?? "USD";
        var transaction = Transaction("api", customer, null, currency, (JsonArray)items.DeepClone(), body["custom_data"]?.DeepClone(), "ready");
        return Data(201, Public(transaction));
    }

    /// <summary>Only <c>{"status": "canceled"}</c>, of a draft or ready transaction, as Paddle allows.</summary>
    (int, JsonObject) UpdateTransaction(string id, JsonObject? body)
    {
        if (!_objects.TryGetValue(id, out var transaction)) return Error(404, "not_found", $"Entity {id} not found");
        if (body?["status"]?.GetValue<string>() != "canceled") return Error(400, "bad_request", "Tollgate only cancels transactions");
        if (transaction["status"]!.GetValue<string>() is not ("draft" or "ready")) return Error(400, "transaction_immutable", "transaction cannot be changed");
        transaction["status"] = "canceled";
        transaction["updated_at"] = Now;
        return Data(200, Public(transaction));
    }

    JsonObject Transaction(string origin, string? customer, string? subscription, string currency, JsonArray items, JsonNode? custom, string status)
    {
        var id = NewId("txn");
        foreach (var item in items) item!["price"]!["id"] = NewId("pri");
        var transaction = new JsonObject
        {
            ["_kind"] = "transaction", ["id"] = id, ["status"] = status, ["customer_id"] = customer, ["subscription_id"] = subscription, ["origin"] = origin,
            ["collection_mode"] = "automatic", ["currency_code"] = currency, ["custom_data"] = custom, ["items"] = items, ["details"] = Details(items, currency),
            ["payments"] = new JsonArray(), ["checkout"] = new JsonObject { ["url"] = $"https://pay.paddle.test/checkout?_ptxn={id}" },
            ["created_at"] = Now, ["updated_at"] = Now,
        };
        _objects[id] = transaction;
        return transaction;
    }

    static void Attempt(JsonObject transaction, string card, bool captured, string now)
    {
        transaction["payments"]!.AsArray().Add(new JsonObject
        {
            ["payment_attempt_id"] = Guid.NewGuid().ToString(), ["payment_method_id"] = "paymtd_" + card[^4..], ["amount"] = transaction["details"]!["totals"]!["grand_total"]!.DeepClone(),
            ["status"] = captured ? "captured" : "error", ["error_code"] = captured ? null : "declined",
            ["method_details"] = new JsonObject { ["type"] = "card", ["card"] = new JsonObject { ["type"] = "visa", ["last4"] = card[^4..] } },
            ["created_at"] = now, ["captured_at"] = captured ? now : null,
        });
    }

    /// <summary>
    /// The customer pays the checkout with a card: the transaction completed (its subscription made, when it sells a
    /// recurring price), and the notifications Paddle sends for it, in Paddle's order: paid (no subscription yet),
    /// completed, subscription created. A declined card is a failed payment the customer may try again.
    /// </summary>
    public IReadOnlyList<string> CompleteCheckout(string transactionId, string card = GoodCard)
    {
        lock (_gate)
        {
            var transaction = _objects[transactionId];
            if (transaction["status"]!.GetValue<string>() == "canceled") throw new InvalidOperationException($"Transaction {transactionId} is canceled: Paddle's checkout takes no payment.");
            if (card == "4000000000000002")
            {
                Attempt(transaction, card, captured: false, Now);
                transaction["updated_at"] = Now;
                return [Event("transaction.payment_failed", transaction)];
            }

            Attempt(transaction, card, captured: true, Now);
            transaction["status"] = "paid";
            transaction["updated_at"] = Now;
            var paid = Event("transaction.paid", transaction);
            var recurring = transaction["items"]!.AsArray().Where(i => i!["price"]!["billing_cycle"] is not null).Select(i => i!.DeepClone()).ToList();
            string? created = null;
            if (recurring.Count > 0)
            {
                var subscription = new JsonObject
                {
                    ["_kind"] = "subscription", ["_card"] = card, ["id"] = NewId("sub"), ["status"] = "active", ["customer_id"] = transaction["customer_id"]!.DeepClone(),
                    ["currency_code"] = transaction["currency_code"]!.DeepClone(), ["collection_mode"] = "automatic", ["items"] = new JsonArray([.. recurring]),
                    ["custom_data"] = transaction["custom_data"]?.DeepClone(), ["transaction_id"] = transactionId, ["canceled_at"] = null,
                    ["created_at"] = Now, ["updated_at"] = Now,
                };
                _objects[subscription["id"]!.GetValue<string>()] = subscription;
                transaction["subscription_id"] = subscription["id"]!.GetValue<string>();
                created = Event("subscription.created", subscription);
            }

            transaction["status"] = "completed";
            transaction["invoice_number"] = $"FAKE-{transactionId[^6..]}";
            transaction["updated_at"] = Now;
            return created is null ? [paid, Event("transaction.completed", transaction)] : [paid, Event("transaction.completed", transaction), created];
        }
    }

    /// <summary>The customer's card on the subscription, as the customer changes it at Paddle's portal.</summary>
    public void UseCard(string subscriptionId, string card)
    {
        lock (_gate) _objects[subscriptionId]["_card"] = card;
    }

    (int, JsonObject) Charge(string subscriptionId, JsonObject? body)
    {
        if (!_objects.TryGetValue(subscriptionId, out var subscription)) return Error(404, "not_found", $"Entity {subscriptionId} not found");
        if (subscription["status"]!.GetValue<string>() != "active") return Error(400, "subscription_not_active", "subscription is not active");
        if (body?["effective_from"]?.GetValue<string>() != "immediately") return Error(400, "bad_request", "Tollgate charges immediately");
        if (body["items"] is not JsonArray { Count: > 0 } items) return Error(400, "bad_request", "items is required");
        if (items.Select(i => Refused(i as JsonObject, oneTimeOnly: true)).FirstOrDefault(r => r is not null) is { } refused) return Error(400, "bad_request", refused);
        var card = subscription["_card"]!.GetValue<string>();
        if (card == DecliningCard && body["on_payment_failure"]?.GetValue<string>() != "apply_change") return Error(400, "subscription_payment_declined", "payment declined");
        var transaction = Transaction("subscription_charge", subscription["customer_id"]!.GetValue<string>(), subscriptionId, subscription["currency_code"]!.GetValue<string>(),
            (JsonArray)items.DeepClone(), subscription["custom_data"]?.DeepClone(), "completed");
        Attempt(transaction, card, captured: true, Now);
        transaction["invoice_number"] = $"FAKE-{transaction["id"]!.GetValue<string>()[^6..]}";
        _events.Enqueue(Event("transaction.completed", transaction));
        return Data(200, Public(subscription));
    }

    (int, JsonObject) Cancel(string subscriptionId)
    {
        if (!_objects.TryGetValue(subscriptionId, out var subscription)) return Error(404, "not_found", $"Entity {subscriptionId} not found");
        if (subscription["status"]!.GetValue<string>() == "canceled") return Error(400, "subscription_locked_canceled", "subscription is canceled");
        return Data(200, Public(Canceled(subscription)));
    }

    /// <summary>Pausing an active subscription, or resuming a paused one, at once; anything else is refused as Paddle refuses it.</summary>
    (int, JsonObject) Pause(string subscriptionId, JsonObject? body, bool pause)
    {
        if (!_objects.TryGetValue(subscriptionId, out var subscription)) return Error(404, "not_found", $"Entity {subscriptionId} not found");
        if (body?["effective_from"]?.GetValue<string>() != "immediately") return Error(400, "bad_request", "Tollgate pauses and resumes immediately");
        var status = subscription["status"]!.GetValue<string>();
        if (pause && status != "active") return Error(400, "subscription_not_active", "subscription is not active");
        if (!pause && status != "paused") return Error(400, "subscription_must_be_paused", "subscription is not paused");
        subscription["status"] = pause ? "paused" : "active";
        subscription["paused_at"] = pause ? Now : null;
        subscription["updated_at"] = Now;
        _events.Enqueue(Event(pause ? "subscription.paused" : "subscription.resumed", subscription));
        return Data(200, Public(subscription));
    }

    JsonObject Canceled(JsonObject subscription)
    {
        subscription["status"] = "canceled";
        subscription["canceled_at"] = Now;
        subscription["updated_at"] = Now;
        _events.Enqueue(Event("subscription.canceled", subscription));
        return subscription;
    }

    /// <summary>The customer cancels at Paddle's portal (at once, as Paddle's dunning does when it gives up): the notification it sends.</summary>
    public string CancelAtPortal(string subscriptionId)
    {
        lock (_gate)
        {
            Canceled(_objects[subscriptionId]);
            return TakeEvents(subscriptionId).Last();
        }
    }

    (int, JsonObject) CreateAdjustment(JsonObject? body)
    {
        var transactionId = body?["transaction_id"]?.GetValue<string>();
        if (transactionId is null || !_objects.TryGetValue(transactionId, out var transaction)) return Error(404, "not_found", $"Entity {transactionId} not found");
        if (body!["action"]?.GetValue<string>() != "refund") return Error(400, "bad_request", "action must be refund or credit");
        if (transaction["status"]!.GetValue<string>() != "completed") return Error(400, "adjustment_transaction_invalid_status_for_refund", "transaction is not completed");
        if (_objects.Values.Any(o => o["_kind"]!.GetValue<string>() == "adjustment" && o["transaction_id"]!.GetValue<string>() == transactionId && o["status"]!.GetValue<string>() == "pending_approval"))
            return Error(400, "adjustment_pending_refund_request", "a refund is pending approval on this transaction");
        var lines = transaction["details"]!["line_items"]!.AsArray();
        long total;
        if (body["type"]?.GetValue<string>() == "full") total = long.Parse(transaction["details"]!["totals"]!["grand_total"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        else
        {
            total = 0;
            foreach (var item in body["items"]?.AsArray() ?? [])
            {
                var line = lines.FirstOrDefault(l => l!["id"]!.GetValue<string>() == item!["item_id"]?.GetValue<string>());
                if (line is null) return Error(400, "adjustment_invalid_item", $"item {item!["item_id"]} is not on the transaction");
                var amount = long.Parse(item!["amount"]!.GetValue<string>(), CultureInfo.InvariantCulture);
                if (amount > long.Parse(line["totals"]!["total"]!.GetValue<string>(), CultureInfo.InvariantCulture)) return Error(400, "adjustment_amount_above_remaining_allowed", "amount above the item's total");
                total += amount;
            }

            if (total == 0) return Error(400, "bad_request", "a partial refund needs items");
        }

        var adjustment = new JsonObject
        {
            ["_kind"] = "adjustment", ["id"] = NewId("adj"), ["action"] = "refund", ["type"] = body["type"]?.GetValue<string>(), ["transaction_id"] = transactionId,
            ["subscription_id"] = transaction["subscription_id"]?.DeepClone(), ["customer_id"] = transaction["customer_id"]?.DeepClone(), ["reason"] = body["reason"]?.GetValue<string>(),
            ["currency_code"] = transaction["currency_code"]!.DeepClone(), ["status"] = "pending_approval",
            ["totals"] = new JsonObject { ["total"] = total.ToString(CultureInfo.InvariantCulture), ["currency_code"] = transaction["currency_code"]!.DeepClone() },
            ["created_at"] = Now, ["updated_at"] = "0001-01-01T00:00:00Z",
        };
        _objects[adjustment["id"]!.GetValue<string>()] = adjustment;
        return Data(201, Public(adjustment));
    }

    /// <summary>Paddle approves a refund: the <c>adjustment.updated</c> it sends.</summary>
    public string ApproveRefund(string adjustmentId)
    {
        lock (_gate)
        {
            var adjustment = _objects[adjustmentId];
            adjustment["status"] = "approved";
            adjustment["updated_at"] = Now;
            return Event("adjustment.updated", adjustment);
        }
    }

    string Event(string type, JsonObject entity) => new JsonObject
    {
        ["event_id"] = NewId("evt"), ["event_type"] = type, ["occurred_at"] = Now, ["notification_id"] = NewId("ntf"), ["data"] = Public(entity),
    }.ToJsonString();

    /// <summary><c>Paddle-Signature</c> for <paramref name="body"/> signed at <paramref name="at"/>, one <c>h1</c> per secret.</summary>
    public static string Sign(string body, DateTimeOffset at, params string[] secrets)
    {
        var ts = at.ToUnixTimeSeconds();
        return $"ts={ts};" + string.Join(';', secrets.Select(s => "h1=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(s), Encoding.UTF8.GetBytes($"{ts}:{body}")))));
    }

    /// <summary>Delivers a notification as Paddle does: POSTed JSON, signed now with the destination's secret unless a header is given.</summary>
    public async Task<HttpResponseMessage> DeliverAsync(string body, string? signature = null)
    {
        return await PostWebhookAsync(body, ("Paddle-Signature", signature ?? Sign(body, Time.GetUtcNow(), WebhookSecret)));
    }

}
