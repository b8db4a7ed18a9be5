using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.ApiKeys;
using Tollgate.Common;
using Tollgate.Payments.Accounts;
using Tollgate.Payments.Checkout;
using Tollgate.Payments.Ledger;
using Tollgate.Payments.Webhooks;

namespace Tollgate.Payments;

public static class PaymentEndpoints
{
    /// <summary>Most bytes an inbound webhook may carry; the providers' events are a few kilobytes.</summary>
    const int MostWebhookBytes = 1 << 20;

    public static RouteGroupBuilder MapPaymentEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/checkout-sessions", async (Caller caller, CheckoutService service, CreateCheckoutRequest request, CancellationToken ct) =>
            {
                PaymentMode.Enter(caller.Key.Mode == ApiKeys.KeyMode.Test); // a test-mode key's checkout is made with the providers' test credentials
                return (await service.CreateAsync(request, caller.Actor, ct)).ToCreated(s => $"/api/v1/checkout-sessions/{s.Id}");
            })
            .WithTags("Payments").RequireAdmin()
            .WithSummary("A hosted checkout for a plan at the provider that serves the customer; its completion, reported by the provider's webhook, activates the subscription.");
        api.MapGet("/checkout-sessions/{id}", async (CheckoutStore store, string id, CancellationToken ct) =>
                await store.GetAsync(id, ct) is { } session ? Results.Ok(session) : ApiError.NotFound("checkout session", id).ToProblem())
            .WithTags("Payments").RequireAdmin().WithSummary("A checkout session and its state: open, complete, expired or failed.");
        api.MapGet("/payments", async (PaymentQueries queries, string? customer_id, string? invoice_id, CancellationToken ct) =>
                TypedResults.Ok(new { data = await queries.ListAsync(customer_id, invoice_id, ct) }))
            .WithTags("Payments").RequireAdmin().WithSummary("Payments from every provider, newest first, each with its invoice and refunds.");
        api.MapPost("/payments/{id}/refund", async (Caller caller, RefundService refunds, string id, RefundRequest? request, CancellationToken ct) =>
                (await refunds.RefundAsync(id, request ?? new RefundRequest(), caller.Actor, ct)).ToOk())
            .WithTags("Payments").RequireAdmin()
            .WithSummary("Refund a payment in full or in part at its provider; the refund, when it succeeds, makes a credit note of what was paid back.");
        api.MapGet("/customers/{id}/payment-account", async (PaymentAccountService accounts, string id, CancellationToken ct) => (await accounts.GetAsync(id, ct)).ToOk())
            .WithTags("Payments").RequireAdmin()
            .WithSummary("The provider that serves the customer and its ids there; before any checkout, the provider routing would choose (stored: false).");
        api.MapPut("/customers/{id}/payment-account", async (Caller caller, PaymentAccountService accounts, string id, SetPaymentAccountRequest request, CancellationToken ct) =>
            {
                PaymentMode.Enter(caller.Key.Mode == ApiKeys.KeyMode.Test);
                return (await accounts.SetAsync(id, request, caller.Actor, ct)).ToOk();
            })
            .WithTags("Payments").RequireAdmin()
            .WithSummary("Choose the provider that serves the customer, over the routing rules; another provider than its own forgets its ids at the old one.");
        api.MapPost("/customers/{id}/payment-portal", async (PaymentAccountService accounts, string id, PaymentPortalRequest request, CancellationToken ct) =>
                (await accounts.PortalAsync(id, request, ct)).ToOk())
            .WithTags("Payments").RequireAdmin()
            .WithSummary("A link to the provider's portal, where the customer changes its payment method and finds its receipts.");
        api.MapGet("/payment-providers", (Credentials.PaymentCredentialService credentials) => TypedResults.Ok(new { data = credentials.List() }))
            .WithTags("Payments").RequireAdmin().WithSummary("Every payment provider: configured or not, whence its credentials come, and those credentials masked.");
        api.MapPut("/payment-providers/{provider}", async (Caller caller, Credentials.PaymentCredentialService credentials, string provider, Credentials.SetPaymentCredentialsRequest request, CancellationToken ct) =>
                (await credentials.SetAsync(provider, request, caller.Actor, ct)).ToOk())
            .WithTags("Payments").RequireAdmin()
            .WithSummary("Store a provider's credentials, encrypted at rest; they replace its configuration section on every node.");
        api.MapDelete("/payment-providers/{provider}", async (Caller caller, Credentials.PaymentCredentialService credentials, string provider, CancellationToken ct) =>
                (await credentials.DeleteAsync(provider, caller.Actor, ct)).ToOk())
            .WithTags("Payments").RequireAdmin().WithSummary("Delete a provider's stored credentials: its configuration is in force again.");
        return api;
    }

    /// <summary>The providers' webhooks: outside <c>/api</c>, no API key; each request is proven by the provider's signature on its body.</summary>
    public static IEndpointRouteBuilder MapPaymentWebhooks(this IEndpointRouteBuilder app)
    {
        app.MapPost("/webhooks/{provider}", async (HttpContext http, WebhookReceiver receiver, string provider, CancellationToken ct) =>
            {
                var tooLarge = new ApiError("payload_too_large", StatusCodes.Status413PayloadTooLarge, "A webhook body may be at most 1 MiB.");
                if (http.Request.ContentLength > MostWebhookBytes) return tooLarge.ToProblem();
                using var buffer = new MemoryStream();
                var chunk = new byte[16 * 1024];
                for (int read; (read = await http.Request.Body.ReadAsync(chunk, ct)) > 0;)
                {
                    if (buffer.Length + read > MostWebhookBytes) return tooLarge.ToProblem();
                    buffer.Write(chunk, 0, read);
                }

                var received = await receiver.ReceiveAsync(provider, http.Request.Headers, buffer.ToArray(), ct);
                return received.IsOk ? Results.Ok(received.Value) : received.Error.ToProblem();
            })
            .WithTags("Payments")
            .WithSummary("A payment provider's webhook (stripe, razorpay, paddle, lemonsqueezy, test): verified on its raw body, applied once.");
        return app;
    }
}
