using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.Options;
using Tollgate.Billing;
using Tollgate.Common;
using Tollgate.Payments.Checkout;
using Tollgate.Payments.Ledger;
using Tollgate.Payments.Webhooks;
using Tollgate.Storage;

namespace Tollgate.Payments.Providers.Test;

/// <summary>
/// The test provider's hosted pages: a checkout at <c>/pay/test/{checkout}</c> and a portal at
/// <c>/pay/test/portal/{customer}</c>. No API key: a checkout's id (80 random bits, given only to whoever made the
/// checkout) is what lets its page in, and a portal link carries a token this process signed. Each page acts by sending
/// the provider's webhook to <see cref="WebhookReceiver"/>, so its effect is recorded and applied once, as a real
/// provider's; paying twice (a second click, a reload) is one event. Mapped only when the test provider is on.
/// </summary>
public static class TestProviderEndpoints
{
    public static IEndpointRouteBuilder MapTestProviderPages(this IEndpointRouteBuilder app)
    {
        if (!app.ServiceProvider.GetRequiredService<IOptions<PaymentsOptions>>().Value.TestProvider) return app;
        var pages = app.MapGroup("/pay/test").WithTags("Payments").ExcludeFromDescription();
        pages.MapGet("/{checkoutId}", (HttpContext http, string checkoutId, CancellationToken ct) => CheckoutAsync(http, checkoutId, null, ct));
        pages.MapPost("/{checkoutId}", (HttpContext http, string checkoutId, CancellationToken ct) => PayAsync(http, checkoutId, ct));
        pages.MapGet("/{checkoutId}/invoice", (HttpContext http, string checkoutId, CancellationToken ct) => InvoiceAsync(http, checkoutId, ct));
        pages.MapGet("/portal/{customer}", (HttpContext http, string customer, CancellationToken ct) => PortalAsync(http, customer, ct));
        pages.MapPost("/portal/{customer}", (HttpContext http, string customer, CancellationToken ct) => SaveCardAsync(http, customer, ct));
        return app;
    }

    static IResult Page(string html, int status = StatusCodes.Status200OK) => Results.Content(html, "text/html; charset=utf-8", statusCode: status);

    static IResult NotFound() => Page(TestPages.Notice("Not found", "There is no test checkout here."), StatusCodes.Status404NotFound);

    static async Task<TestCheckoutView?> ViewAsync(HttpContext http, CheckoutSession checkout, CancellationToken ct)
    {
        var services = http.RequestServices;
        await using var connection = await services.GetRequiredService<Database>().OpenAsync(ct);
        var name = await connection.ExecuteScalarAsync<string?>("SELECT name FROM customers WHERE id = @CustomerId", checkout);
        var seller = services.GetRequiredService<IOptions<BillingOptions>>().Value.Seller.Name;
        return new TestCheckoutView(seller, name ?? checkout.CustomerId, $"{checkout.Plan} ({EnumText.Snake(checkout.Interval)})", checkout.Quantity,
            checkout.Amount, checkout.Currency, checkout.CancelUrl);
    }

    /// <summary>The success URL, its <c>{CHECKOUT_SESSION_ID}</c> (as Stripe's) replaced with the checkout's id.</summary>
    static string SuccessUrl(CheckoutSession checkout) => checkout.SuccessUrl.Replace("{CHECKOUT_SESSION_ID}", Uri.EscapeDataString(checkout.Id), StringComparison.Ordinal);

    /// <summary>A completed checkout's invoice, paid: the page the checkout's id lets its payer see.</summary>
    static async Task<IResult> InvoiceAsync(HttpContext http, string checkoutId, CancellationToken ct)
    {
        if (await FindAsync(http, checkoutId, ct) is not { Status: "complete", InvoiceId: { } invoiceId } checkout) return NotFound();
        var services = http.RequestServices;
        var html = await services.GetRequiredService<Billing.Invoices.InvoicePages>().RenderAsync(checkout.CustomerId, invoiceId, ct);
        return html is null ? NotFound() : Page(html);
    }

    static async Task<CheckoutSession?> FindAsync(HttpContext http, string checkoutId, CancellationToken ct) =>
        await http.RequestServices.GetRequiredService<CheckoutStore>().GetAsync(checkoutId, ct) is { Provider: "test" } checkout ? checkout : null;

    /// <summary>Where the checkout stands, when it can no longer be paid: complete (back to the seller), or ended.</summary>
    static IResult? Closed(HttpContext http, CheckoutSession checkout)
    {
        if (checkout.Status == "complete")
        {
            return Page(TestPages.Notice("Paid", "This checkout is complete.", "Return to the seller", SuccessUrl(checkout),
                checkout.InvoiceId is null ? null : ("View the invoice", $"/pay/test/{Uri.EscapeDataString(checkout.Id)}/invoice")));
        }

        var time = http.RequestServices.GetRequiredService<TimeProvider>();
        return checkout.Status != "open" || time.GetUtcNow() >= checkout.ExpiresAt
            ? Page(TestPages.Notice("Checkout ended", "This checkout has expired or was cancelled; ask the seller for a new one.", "Return to the seller", checkout.CancelUrl),
                StatusCodes.Status410Gone)
            : null;
    }

    static async Task<IResult> CheckoutAsync(HttpContext http, string checkoutId, string? error, CancellationToken ct, int status = StatusCodes.Status200OK)
    {
        if (await FindAsync(http, checkoutId, ct) is not { } checkout) return NotFound();
        return Closed(http, checkout) ?? Page(TestPages.Checkout((await ViewAsync(http, checkout, ct))!, error), status);
    }

    static async Task<IResult> PayAsync(HttpContext http, string checkoutId, CancellationToken ct)
    {
        if (await FindAsync(http, checkoutId, ct) is not { } checkout) return NotFound();
        if (Closed(http, checkout) is { } closed) return checkout.Status == "complete" ? Results.Redirect(SuccessUrl(checkout)) : closed;
        if (await CardAsync(http, ct) is not { } card)
            return await CheckoutAsync(http, checkoutId, "Choose one of the test cards.", ct, StatusCodes.Status400BadRequest);
        if (!TestCards.Charges(card, checkout.Amount))
            return await CheckoutAsync(http, checkoutId, $"{TestCards.DeclineMessage} Choose another test card.", ct, StatusCodes.Status402PaymentRequired);

        var provider = http.RequestServices.GetRequiredService<TestProvider>();
        var data = new JsonObject
        {
            ["session"] = checkout.ProviderSessionId ?? checkout.Id, ["customer"] = TestProvider.CustomerPrefix + checkout.CustomerId, ["payment_method"] = card.PaymentMethod,
        };
        if (checkout.Amount > 0)
        {
            data["payment"] = new JsonObject
            {
                ["id"] = "tpay_" + TestProvider.Derived(checkout.Id), ["status"] = "succeeded", ["amount"] = checkout.Amount, ["currency"] = checkout.Currency,
                ["invoice_id"] = checkout.InvoiceId, ["customer_id"] = checkout.CustomerId, ["payment_method"] = card.PaymentMethod,
            };
        }

        // One event per checkout: a second click is the same event, a duplicate.
        var (body, headers) = provider.Event("tevt_" + TestProvider.Derived(checkout.Id + ":completed"), "checkout.completed", data);
        var received = await http.RequestServices.GetRequiredService<WebhookReceiver>().ReceiveAsync("test", headers, body, ct);
        return received.IsOk
            ? Results.Redirect(SuccessUrl(checkout))
            : Page(TestPages.Notice("Not paid", $"Tollgate did not take the payment: {received.Error.Message}"), StatusCodes.Status502BadGateway);
    }

    /// <summary>The card the form chose; none when there is no form, or a malformed one (a multipart body without its boundary, say).</summary>
    static async Task<TestCard?> CardAsync(HttpContext http, CancellationToken ct)
    {
        if (!http.Request.HasFormContentType) return null;
        try
        {
            return TestCards.Find((await http.Request.ReadFormAsync(ct))["card"]);
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    sealed record PortalAccount(string CustomerId, string? PaymentMethod, string Name);

    /// <summary>The portal link's own parts, when it is one this process made and still good.</summary>
    static string? ReturnUrl(HttpContext http, string customer)
    {
        var query = http.Request.Query;
        var provider = http.RequestServices.GetRequiredService<TestProvider>();
        return long.TryParse(query["expires"], out var expires) && query["return_url"].ToString() is { Length: > 0 } back
               && provider.PortalLinkValid(customer, expires, back, query["token"])
            ? back
            : null;
    }

    static async Task<PortalAccount?> AccountAsync(HttpContext http, string customer, CancellationToken ct)
    {
        await using var connection = await http.RequestServices.GetRequiredService<Database>().OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<PortalAccount>(
            """
            SELECT a.customer_id, a.payment_method, c.name FROM payment_accounts a JOIN customers c ON c.id = a.customer_id
            WHERE a.provider = 'test' AND a.provider_customer_id = @customer
            """, new { customer });
    }

    static IResult LinkRefused() =>
        Page(TestPages.Notice("Link not valid", "This billing link is not valid or has expired; ask the seller for a new one."), StatusCodes.Status403Forbidden);

    static async Task<IResult> PortalAsync(HttpContext http, string customer, CancellationToken ct, string? error = null, int status = StatusCodes.Status200OK)
    {
        if (ReturnUrl(http, customer) is not { } back) return LinkRefused();
        if (await AccountAsync(http, customer, ct) is not { } account) return LinkRefused();
        var payments = await http.RequestServices.GetRequiredService<PaymentStore>().ListAsync(account.CustomerId, null, ct);
        var receipts = payments.Select(p => new TestReceipt(p.CreatedAt, p.InvoiceId, p.Amount, p.AmountRefunded, p.Currency, EnumText.Snake(p.Status))).ToList();
        return Page(TestPages.Portal(account.Name, account.PaymentMethod, receipts, back, error, http.Request.Query["saved"] == "1"), status);
    }

    static async Task<IResult> SaveCardAsync(HttpContext http, string customer, CancellationToken ct)
    {
        if (ReturnUrl(http, customer) is null || await AccountAsync(http, customer, ct) is null) return LinkRefused();
        var card = await CardAsync(http, ct);
        if (card is null || card.Behaviour == TestCardBehaviour.Declined)
        {
            var error = card is null ? "Choose one of the test cards." : $"{TestCards.DeclineMessage} Choose another test card.";
            return await PortalAsync(http, customer, ct, error, card is null ? StatusCodes.Status400BadRequest : StatusCodes.Status402PaymentRequired);
        }

        var provider = http.RequestServices.GetRequiredService<TestProvider>();
        var time = http.RequestServices.GetRequiredService<TimeProvider>();
        var (body, headers) = provider.Event(Ids.New("tevt", time), "payment_method.updated",
            new JsonObject { ["customer"] = customer, ["payment_method"] = card.PaymentMethod });
        var received = await http.RequestServices.GetRequiredService<WebhookReceiver>().ReceiveAsync("test", headers, body, ct);
        if (!received.IsOk) return Page(TestPages.Notice("Not saved", $"Tollgate did not save the card: {received.Error.Message}"), StatusCodes.Status502BadGateway);
        var query = http.Request.QueryString.Value ?? "";
        return Results.Redirect($"{http.Request.Path}{query}{(query.Contains("saved=1", StringComparison.Ordinal) ? "" : "&saved=1")}");
    }
}
