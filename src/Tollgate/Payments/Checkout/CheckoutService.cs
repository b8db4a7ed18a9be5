using System.Data.Common;
using Dapper;
using Tollgate.Audit;
using Tollgate.Billing.Clocks;
using Tollgate.Billing.Subscriptions;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Payments.Ledger;
using Tollgate.Payments.Providers;
using Tollgate.Storage;

namespace Tollgate.Payments.Checkout;

/// <summary>
/// Makes checkouts and completes them (docs/payments.md, "Checkout"). Making one: the provider that serves the customer
/// (<see cref="PaymentProviders.Route"/>, bound once chosen), the customer made there once, the subscription made
/// <c>incomplete</c> with its first invoice when something is due now, the checkout recorded, and then the provider's
/// hosted page asked for, with the checkout's id as the idempotency key. If the provider refuses, the incomplete
/// subscription ends at once and the checkout is <c>failed</c>: nothing is left half made.
/// </summary>
public sealed partial class CheckoutService(
    Database database, PaymentProviders providers, PaymentStore payments, PaymentLedger ledger, CheckoutStore checkouts, SubscriptionStore subscriptions,
    AuditLog audit, BillingClock clock, TimeProvider time, ILogger<CheckoutService> log)
{
    /// <summary>How long a checkout stays open: less than an incomplete subscription waits for its first invoice (23 h), and within Stripe's 24 h.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(22);

    public async Task<Result<CheckoutSession>> CreateAsync(CreateCheckoutRequest request, Actor actor, CancellationToken ct)
    {
        var check = new Validation();
        check.Text("customer_id", request.CustomerId, required: true, maxLength: 100).Text("plan", request.Plan, required: true, maxLength: 100);
        Url(check, "success_url", request.SuccessUrl);
        Url(check, "cancel_url", request.CancelUrl);
        if (request.Currency is not null && Currencies.Normalize(request.Currency) is null) check.Add("currency", "must be an ISO 4217 code.");
        if (request.Quantity is < 1 or > 1_000_000) check.Add("quantity", "must be from 1 to 1,000,000.");
        if (check.Failed) return check.ToError();

        var customer = await CustomerAsync(request.CustomerId!, ct);
        if (customer is null) return ApiError.Invalid("customer_id", $"There is no customer '{request.CustomerId}'.");
        var currency = Currencies.Normalize(request.Currency) ?? customer.Currency;
        if (customer.ProviderCustomerId is not null && customer.Mode != PaymentMode.Text) return ModeMismatch(customer.Id, customer.Mode!);

        var chosen = PaymentProviderNames.Parse(customer.Provider);
        if (providers.Route(customer.Country, currency, chosen) is not { } name || providers.Find(name) is not { } provider)
        {
            return chosen is { } bound
                ? ApiError.Conflict("payment_provider_unavailable", $"Customer {customer.Id} pays through {bound.Text()}, which is not configured.")
                : ApiError.Conflict("no_payment_provider", $"No configured payment provider serves customers of {customer.Country ?? "no country"} paying in {currency}.");
        }

        string providerCustomer;
        try
        {
            providerCustomer = customer.ProviderCustomerId ?? await provider.CreateCustomerAsync(
                new ProviderCustomer(customer.Id, customer.Name, customer.Email, customer.Country), $"tollgate-customer-{customer.Id}", ct);
        }
        catch (Exception e) when (e is PaymentProviderException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            // Nothing is made yet: the provider's refusal is the answer.
            return Refused(name, e, "make the customer");
        }

        var subscribe = new CreateSubscriptionRequest(customer.Id, request.Plan, request.Interval, currency, request.Quantity ?? 1, PaymentBehavior: PaymentBehavior.DefaultIncomplete);
        // The customer's currency, if this is its first purchase, and its account at the provider, with the checkout.
        async Task<ApiError?> PrepareAsync(DbTransaction tx, DateTimeOffset now)
        {
            if (await CurrencyRefusedAsync(tx, customer.Id, customer.Currency, currency) is { } refused) return refused;
            // A provider that keeps one customer per email answers with another Tollgate customer's: not this one's to take.
            var owner = await tx.Connection!.ExecuteScalarAsync<string?>(
                "SELECT customer_id FROM payment_accounts WHERE provider = @provider AND provider_customer_id = @providerCustomer AND customer_id <> @Id",
                new { provider = name.Text(), providerCustomer, customer.Id }, tx);
            if (owner is not null)
                return ApiError.Conflict("email_taken", $"{name.Text()} knows customer {customer.Id}'s email as customer {owner}'s: give it another email.");
            var account = await payments.AccountAsync(tx, customer.Id);
            if (account is { ProviderCustomerId: not null } && account.Mode != PaymentMode.Text) return ModeMismatch(customer.Id, account.Mode); // another checkout, of the other mode, got there first
            await PaymentStore.SaveAccountAsync(tx, (account ?? new PaymentAccount { CustomerId = customer.Id, ChosenBy = "routing", CreatedAt = now })
                with { Provider = name.Text(), ProviderCustomerId = providerCustomer, Mode = PaymentMode.Text, UpdatedAt = now });
            return null;
        }

        CheckoutSession? nothingDue = null;
        var made = await database.InTransactionAsync<CheckoutSession>(async (connection, tx) =>
        {
            BillingClock.Enter(await BillingClock.OfCustomerAsync(tx, customer.Id));
            var now = clock.Now;
            if (await PrepareAsync(tx, now) is { } refused) return refused;

            var subscription = await subscriptions.CreateInAsync(tx, subscribe, actor);
            if (!subscription.IsOk) return subscription.Error;
            var first = await connection.QuerySingleOrDefaultAsync<(string Id, long AmountDue)?>(
                "SELECT id, amount_due FROM invoices WHERE subscription_id = @Id AND billing_reason = 'subscription_create' AND status = 'open'", subscription.Value, tx);
            var session = new CheckoutSession
            {
                Id = Ids.New(CheckoutStore.IdPrefix, time), CustomerId = customer.Id, Provider = name.Text(), Plan = subscription.Value.Plan,
                Interval = subscription.Value.Interval, Currency = subscription.Value.Currency, Quantity = subscription.Value.Quantity,
                SuccessUrl = request.SuccessUrl!, CancelUrl = request.CancelUrl!, Status = "open", CreatedAt = now, ExpiresAt = time.GetUtcNow() + Lifetime,
                SubscriptionId = first is null ? null : subscription.Value.Id, InvoiceId = first?.Id, Amount = first?.AmountDue ?? 0,
            };
            if (first is null)
            {
                // Nothing due now: the subscription is made when the checkout completes, so this one is rolled back.
                nothingDue = session;
                return NothingDue;
            }

            await CheckoutStore.InsertAsync(tx, session);
            await audit.RecordAsync(tx, actor, "checkout_session.created", "checkout_session", session.Id, null, session, customer.Id);
            return session;
        }, ct);
        if (!made.IsOk && nothingDue is null) return made;
        var checkout = made.IsOk ? made.Value : nothingDue!;
        if (!made.IsOk)
        {
            var saved = await database.InTransactionAsync<CheckoutSession>(async (connection, tx) =>
            {
                if (await PrepareAsync(tx, checkout.CreatedAt) is { } refused) return refused;
                await CheckoutStore.InsertAsync(tx, checkout);
                await audit.RecordAsync(tx, actor, "checkout_session.created", "checkout_session", checkout.Id, null, checkout, customer.Id);
                return checkout;
            }, ct);
            if (!saved.IsOk) return saved;
        }

        HostedCheckout hosted;
        try
        {
            hosted = await provider.CreateCheckoutAsync(
                new CheckoutOrder(checkout.Id, providerCustomer, customer.Id, checkout.InvoiceId, $"{checkout.Plan} ({EnumText.Snake(checkout.Interval)})", checkout.Amount,
                    checkout.Currency, checkout.SuccessUrl, checkout.CancelUrl, checkout.ExpiresAt) { CustomerName = customer.Name, CustomerEmail = customer.Email },
                checkout.Id, ct);
        }
        catch (Exception e) when (e is PaymentProviderException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            LogCheckoutRefused(log, e, checkout.Id, name.Text());
            await FailAsync(checkout, actor, ct);
            return Refused(name, e, "make the checkout");
        }

        var opened = checkout with { ProviderSessionId = hosted.ProviderSessionId, Url = hosted.Url, ExpiresAt = hosted.ExpiresAt };
        await database.InTransactionAsync(async (connection, tx) =>
        {
            await CheckoutStore.UpdateAsync(tx, opened);
            return true;
        }, ct);
        return opened;
    }

    static ApiError ModeMismatch(string customerId, string mode) =>
        ApiError.Conflict("payment_mode_mismatch", $"Customer {customerId} pays with the providers' {mode} credentials; a {PaymentMode.Text}-mode key cannot check it out.");

    /// <summary>A provider's refusal as the API's error: 409 for what the customer must do otherwise, 502 for the provider failing.</summary>
    static ApiError Refused(PaymentProviderName name, Exception e, string what) => e switch
    {
        PaymentProviderException { Code: "nothing_to_pay" or "email_required" or "email_taken" } refused => ApiError.Conflict(refused.Code!, e.Message),
        _ => new ApiError("payment_provider_error", StatusCodes.Status502BadGateway, $"{name.Text()} did not {what}: {e.Message}"),
    };

    /// <summary>A checkout the provider would not make: failed, and its incomplete subscription ended with its invoice voided.</summary>
    async Task FailAsync(CheckoutSession checkout, Actor actor, CancellationToken ct) =>
        await database.InTransactionAsync(async (connection, tx) =>
        {
            await CheckoutStore.UpdateAsync(tx, checkout with { Status = "failed" });
            if (checkout.SubscriptionId is { } id && await subscriptions.FindAsync(tx, id, forUpdate: true) is { Status: SubscriptionStatus.Incomplete } incomplete)
            {
                BillingClock.Enter(await BillingClock.OfCustomerAsync(tx, checkout.CustomerId));
                await subscriptions.CancelInAsync(tx, incomplete, new CancelSubscriptionRequest(Reason: "checkout_failed"), actor);
            }

            return true;
        }, ct);

    /// <summary>
    /// A checkout completed at the provider, in the caller's transaction: its payment applied to the first invoice (the
    /// subscription active), or, with nothing due, the subscription made now; the payment method saved for later charges.
    /// </summary>
    public async Task<string> CompleteInAsync(DbTransaction tx, PaymentProviderName provider, CheckoutCompleted completed, Actor actor)
    {
        var checkout = await checkouts.FindByProviderAsync(tx, provider.Text(), completed.ProviderSessionId);
        if (checkout is null && completed.CheckoutId is { } id && await checkouts.FindAsync(tx, id) is { } named && named.Provider == provider.Text()) checkout = named;
        if (checkout is null) return "unmatched";
        if (checkout.Status == "complete") return "unchanged";
        BillingClock.Enter(await BillingClock.OfCustomerAsync(tx, checkout.CustomerId));
        var now = clock.Now;
        if (checkout.Status != "open")
        {
            // Paid after it expired or failed (a provider that kept its page open): the money is recorded, against the
            // invoice it was for (voided by then, so it stays unpaid), nothing is sold, and the operator is told to refund.
            if (completed.Payment is { } late)
                await ledger.ApplyAsync(tx, provider, late with { InvoiceId = late.InvoiceId ?? checkout.InvoiceId, CustomerId = checkout.CustomerId }, actor);
            await audit.RecordAsync(tx, actor, "checkout_session.paid_after_close", "checkout_session", checkout.Id, checkout, checkout, checkout.CustomerId);
            await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "checkout_session.paid_after_close", checkout.CustomerId, checkout, now);
            return "applied";
        }

        var account = await payments.AccountAsync(tx, checkout.CustomerId);
        await PaymentStore.SaveAccountAsync(tx, (account ?? new PaymentAccount { CustomerId = checkout.CustomerId, ChosenBy = "routing", Mode = PaymentMode.Text, CreatedAt = now }) with
        {
            Provider = provider.Text(), ProviderCustomerId = completed.ProviderCustomerId ?? account?.ProviderCustomerId,
            PaymentMethod = completed.PaymentMethod ?? account?.PaymentMethod, UpdatedAt = now,
        });

        var subscriptionId = checkout.SubscriptionId;
        if (completed.Payment is { } payment)
        {
            await ledger.ApplyAsync(tx, provider, payment with { InvoiceId = payment.InvoiceId ?? checkout.InvoiceId, CustomerId = checkout.CustomerId }, actor);
        }
        else if (subscriptionId is null)
        {
            var made = await subscriptions.CreateInAsync(tx, new CreateSubscriptionRequest(checkout.CustomerId, checkout.Plan, checkout.Interval, checkout.Currency, checkout.Quantity), actor);
            subscriptionId = made.IsOk ? made.Value.Id : null;
            if (!made.IsOk) LogCompletionRefused(log, checkout.Id, made.Error.Message);
        }

        if (completed.ProviderSubscriptionId is { } kept && subscriptionId is not null)
        {
            await PaymentStore.SaveLinkAsync(tx, new ProviderSubscription
            {
                SubscriptionId = subscriptionId, CustomerId = checkout.CustomerId, Provider = provider.Text(), ProviderSubscriptionId = kept, Status = "active", Mode = PaymentMode.Text,
                ProviderTime = completed.At, CreatedAt = now, UpdatedAt = now,
            });
        }

        var complete = checkout with { Status = "complete", SubscriptionId = subscriptionId, CompletedAt = now };
        await CheckoutStore.UpdateAsync(tx, complete);
        await audit.RecordAsync(tx, actor, "checkout_session.completed", "checkout_session", checkout.Id, checkout, complete, checkout.CustomerId);
        await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "checkout_session.completed", checkout.CustomerId, complete, now);
        return "applied";
    }

    public async Task<string> ExpireInAsync(DbTransaction tx, PaymentProviderName provider, CheckoutExpired expired, Actor actor)
    {
        var checkout = await checkouts.FindByProviderAsync(tx, provider.Text(), expired.ProviderSessionId);
        if (checkout is not { Status: "open" }) return checkout is null ? "unmatched" : "unchanged";
        var ended = checkout with { Status = "expired" };
        await CheckoutStore.UpdateAsync(tx, ended);
        await audit.RecordAsync(tx, actor, "checkout_session.expired", "checkout_session", checkout.Id, checkout, ended, checkout.CustomerId);
        return "applied";
    }

    /// <summary>
    /// A customer's currency is fixed at its first purchase: another is refused once it has an invoice, and before
    /// that becomes the customer's.
    /// </summary>
    static async Task<ApiError?> CurrencyRefusedAsync(DbTransaction tx, string customerId, string current, string wanted)
    {
        if (current == wanted) return null;
        var bought = await tx.Connection!.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM invoices WHERE customer_id = @customerId", new { customerId }, tx);
        if (bought > 0) return ApiError.Conflict("currency_fixed", $"Customer {customerId} pays in {current} since its first purchase; it cannot pay in {wanted}.");
        await tx.Connection!.ExecuteAsync("UPDATE customers SET currency = @wanted WHERE id = @customerId", new { wanted, customerId }, tx);
        return null;
    }

    sealed record CustomerRow(string Id, string Name, string? Email, string? Country, string Currency, string? Provider, string? ProviderCustomerId, string? Mode);

    async Task<CustomerRow?> CustomerAsync(string id, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<CustomerRow>(
            """
            SELECT c.id, c.name, c.email, c.country, c.currency, a.provider, a.provider_customer_id, a.mode
            FROM customers c LEFT JOIN payment_accounts a ON a.customer_id = c.id WHERE c.id = @id AND c.deleted_at IS NULL
            """, new { id });
    }

    static void Url(Validation check, string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) check.Add(field, "is required.");
        else if (value.Length > 2000 || !Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
            check.Add(field, "must be an absolute http or https URL of at most 2,000 characters.");
    }

    /// <summary>Rolls back the subscription made to learn what is due, when nothing is.</summary>
    static readonly ApiError NothingDue = new("nothing_due", StatusCodes.Status200OK, "Nothing is due now.");

    [LoggerMessage(EventId = 13001, Level = LogLevel.Warning, Message = "Checkout {CheckoutId}: {Provider} refused to make it; its subscription ended")]
    static partial void LogCheckoutRefused(ILogger logger, Exception exception, string checkoutId, string provider);

    [LoggerMessage(EventId = 13002, Level = LogLevel.Error, Message = "Checkout {CheckoutId} completed but its subscription could not be made: {Reason}")]
    static partial void LogCompletionRefused(ILogger logger, string checkoutId, string reason);
}
