using System.ComponentModel.DataAnnotations;
using Dapper;
using Tollgate.Audit;
using Tollgate.Common;
using Tollgate.Payments.Ledger;
using Tollgate.Payments.Providers;
using Tollgate.Storage;

namespace Tollgate.Payments.Accounts;

/// <summary><c>PUT /api/v1/customers/{id}/payment-account</c>: the provider that serves the customer from now on, whatever the routing rules say.</summary>
public sealed record SetPaymentAccountRequest([property: Required] string? Provider);

/// <summary><c>POST /api/v1/customers/{id}/payment-portal</c>: where the provider's page sends the customer back to.</summary>
public sealed record PaymentPortalRequest([property: Required] string? ReturnUrl);

public sealed record PaymentPortalLink(string Provider, string Url);

/// <summary>
/// Which provider serves a customer, as the API shows it: the account stored once a checkout made the customer at a
/// provider or the operator chose one (<c>chosen_by</c> <c>routing</c> or <c>operator</c>), or, before either, the
/// provider the routing rules would choose now (<c>stored</c> false). A merchant of record's own subscriptions,
/// each kept in step with one of the customer's, are listed with their state there.
/// </summary>
public sealed record PaymentAccountView(
    string CustomerId, string? Provider, string ChosenBy, string? ProviderCustomerId, string? PaymentMethod, bool Stored, DateTimeOffset? UpdatedAt)
{
    /// <summary><c>live</c> or <c>test</c>: which of the provider's credentials serve the customer.</summary>
    public string Mode { get; init; } = "live";

    public IReadOnlyList<ProviderSubscriptionView> ProviderSubscriptions { get; init; } = [];
}

public sealed record ProviderSubscriptionView(string SubscriptionId, string Provider, string ProviderSubscriptionId, string Status, DateTimeOffset UpdatedAt);

/// <summary>
/// A customer's payment account (docs/payments.md, "Routing"): shown, chosen by the operator, and the door to the
/// provider's own portal, where the customer changes its payment method and finds its receipts.
/// </summary>
public sealed class PaymentAccountService(Database database, PaymentProviders providers, PaymentStore store, AuditLog audit, TimeProvider time)
{
    sealed record CustomerRow(string Id, string? Country, string Currency);

    public async Task<Result<PaymentAccountView>> GetAsync(string customerId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var customer = await CustomerAsync(connection, null, customerId);
        if (customer is null) return ApiError.NotFound("customer", customerId);
        var account = await connection.QuerySingleOrDefaultAsync<PaymentAccount>(
            "SELECT customer_id, provider, provider_customer_id, payment_method, chosen_by, mode, created_at, updated_at FROM payment_accounts WHERE customer_id = @customerId",
            new { customerId });
        return account is not null
            ? View(account) with { ProviderSubscriptions = [.. (await store.LinksAsync(customerId, ct)).Select(l => new ProviderSubscriptionView(l.SubscriptionId, l.Provider, l.ProviderSubscriptionId, l.Status, l.UpdatedAt))] }
            : new PaymentAccountView(customer.Id, providers.Route(customer.Country, customer.Currency, null)?.Text(), "routing", null, null, false, null);
    }

    /// <summary>
    /// The operator's choice. Choosing the provider the customer has already keeps its ids there; choosing another
    /// forgets them (they mean nothing at the new provider), so the next checkout makes the customer there afresh.
    /// </summary>
    public async Task<Result<PaymentAccountView>> SetAsync(string customerId, SetPaymentAccountRequest request, Actor actor, CancellationToken ct)
    {
        if (PaymentProviderNames.Parse(request.Provider) is not { } name)
            return ApiError.Invalid("provider", "must be one of stripe, razorpay, paddle, lemonsqueezy, test.");
        if (providers.Find(name) is null)
            return ApiError.Conflict("payment_provider_unavailable", $"{name.Text()} is not configured on this server.");

        return await database.InTransactionAsync<PaymentAccountView>(async (connection, tx) =>
        {
            if (await CustomerAsync(connection, tx, customerId) is null) return ApiError.NotFound("customer", customerId);
            var now = time.GetUtcNow();
            var before = await store.AccountAsync(tx, customerId);
            var after = before is not null && before.Provider == name.Text()
                ? before with { ChosenBy = "operator", UpdatedAt = now }
                : new PaymentAccount { CustomerId = customerId, Provider = name.Text(), ChosenBy = "operator", Mode = PaymentMode.Text, CreatedAt = before?.CreatedAt ?? now, UpdatedAt = now };
            await PaymentStore.SaveAccountAsync(tx, after);
            await audit.RecordAsync(tx, actor, "payment_account.updated", "payment_account", customerId, before, after, customerId);
            return View(after);
        }, ct);
    }

    /// <summary>A link to the provider's portal for the customer; it needs the customer made at the provider (by a checkout) first.</summary>
    public async Task<Result<PaymentPortalLink>> PortalAsync(string customerId, PaymentPortalRequest request, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.ReturnUrl) || request.ReturnUrl.Length > 2000
            || !Uri.TryCreate(request.ReturnUrl, UriKind.Absolute, out var back) || back.Scheme is not ("https" or "http"))
        {
            return ApiError.Invalid("return_url", "must be an absolute http or https URL of at most 2,000 characters.");
        }

        var account = await GetAsync(customerId, ct);
        if (!account.IsOk) return account.Error;
        if (account.Value is not { Stored: true, ProviderCustomerId: { } providerCustomer, Provider: { } text })
            return ApiError.Conflict("no_payment_account", $"Customer {customerId} has no account at a provider yet: a checkout makes one.");
        PaymentMode.Enter(account.Value.Mode);
        if (PaymentProviderNames.Parse(text) is not { } name || providers.Find(name) is not { } provider)
            return ApiError.Conflict("payment_provider_unavailable", $"Customer {customerId} pays through {text}, which is not configured.");

        try
        {
            return new PaymentPortalLink(text, await provider.PortalUrlAsync(providerCustomer, request.ReturnUrl, ct));
        }
        catch (PaymentProviderException e) when (e.Code == "no_portal")
        {
            return ApiError.Conflict("no_portal", e.Message);
        }
        catch (Exception e) when (e is PaymentProviderException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return new ApiError("payment_provider_error", StatusCodes.Status502BadGateway, $"{text} did not make the portal link: {e.Message}");
        }
    }

    static PaymentAccountView View(PaymentAccount a) =>
        new(a.CustomerId, a.Provider, a.ChosenBy, a.ProviderCustomerId, a.PaymentMethod, true, a.UpdatedAt) { Mode = a.Mode };

    static Task<CustomerRow?> CustomerAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? tx, string id) =>
        connection.QuerySingleOrDefaultAsync<CustomerRow>(
            "SELECT id, country, currency FROM customers WHERE id = @id AND deleted_at IS NULL", new { id }, tx);
}
