using Tollgate.ApiKeys;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Customers;
using Tollgate.Payments.Checkout;
using Tollgate.Storage;
using Dapper;

namespace Tollgate.Demo;

public sealed record DemoKeys(string AdminKey, string CustomerKey, string CustomerId, string CustomerName);

/// <summary>The demo's checkout page, or, once it was paid, its invoice's page.</summary>
public sealed record DemoCheckout(string Url, bool Paid);

/// <summary>
/// Fills the database with the answer-engine catalog and a few customers, and issues fresh test-mode keys
/// (revoking the demo keys of earlier runs, whose secrets nobody can show again).
/// </summary>
public sealed class DemoSeeder(
    CatalogApplier catalog, CustomerStore customers, MemberStore members, ApiKeyStore keys, CheckoutService checkouts, Database database, TimeProvider time)
{
    /// <summary>The demo's customer who has not bought yet: <see cref="CheckoutAsync"/> makes its checkout at the built-in test provider.</summary>
    static readonly CreateCustomerRequest Prospect = new("Hooli Labs", "demo_hooli", "founders@hooli.example", "US", null, new() { ["segment"] = "startup" }, null);
    const string ProspectPlan = "enterprise";

    public const string Template = "answer-engine";
    static readonly Actor Demo = new("demo", null, null);

    static readonly CreateCustomerRequest[] Customers =
    [
        new("Acme Research", "demo_acme", "billing@acme.example", "US", null, new() { ["segment"] = "startup" }, "pro"),
        new("Globex India", "demo_globex", "accounts@globex.example", "IN", null, new() { ["segment"] = "smb" }, "free"),
        new("Initech GmbH", "demo_initech", "finance@initech.example", "DE", null, new() { ["segment"] = "enterprise" }, "team"),
    ];

    public async Task<DemoKeys> SeedAsync(CancellationToken ct)
    {
        var applied = await catalog.ApplyAsync(CatalogTemplates.Load(Template)!, dryRun: false, Demo, ct);
        if (!applied.IsOk) throw new InvalidOperationException($"The demo catalog does not apply: {applied.Error.Message}");

        var seeded = new List<Customer>();
        foreach (var request in Customers)
        {
            var existing = await customers.ListAsync(request.ExternalId, null, new PageRequest(1, null), ct);
            var customer = existing.Data.Count > 0 ? existing.Data[0] : (await customers.CreateAsync(request, Demo, ct)).Value;
            if (existing.Data.Count == 0)
            {
                await members.AddAsync(customer.Id, new AddMemberRequest(request.Email, "Demo Owner", Role.Owner), Demo, ct);
            }

            seeded.Add(customer);
        }

        await RevokeEarlierDemoKeysAsync(ct);
        var admin = await keys.CreateAsync(
            new NewKey(KeyKind.Admin, KeyMode.Test, null, "Demo admin key", "Printed by serve --demo", [Scopes.Admin], null), Demo, ct);
        var acme = seeded[0];
        var customerKey = await keys.CreateAsync(
            new NewKey(KeyKind.Customer, KeyMode.Test, acme.Id, "Demo customer key", "Printed by serve --demo", [.. Scopes.Defaults(KeyKind.Customer), Scopes.KeysWrite], null),
            Demo, ct);
        return new DemoKeys(admin.Value.Secret!, customerKey.Value.Secret!, acme.Id, acme.Name);
    }

    /// <summary>
    /// The demo's checkout, for its prospect to buy the Enterprise plan at the built-in test provider, made once the
    /// server listens (its page's address is the server's): the one still open from an earlier run, or a new one; once
    /// paid, its paid invoice. Null when the prospect subscribed some other way.
    /// </summary>
    public async Task<DemoCheckout?> CheckoutAsync(string serverUrl, CancellationToken ct)
    {
        var existing = await customers.ListAsync(Prospect.ExternalId, null, new PageRequest(1, null), ct);
        var prospect = existing.Data.Count > 0 ? existing.Data[0] : (await customers.CreateAsync(Prospect, Demo, ct)).Value;
        await using (var connection = await database.OpenAsync(ct))
        {
            var paid = await connection.ExecuteScalarAsync<string?>(
                "SELECT id FROM checkout_sessions WHERE customer_id = @Id AND provider = 'test' AND status = 'complete' AND invoice_id IS NOT NULL ORDER BY id DESC LIMIT 1", prospect);
            if (paid is not null) return new DemoCheckout($"{serverUrl}/pay/test/{paid}/invoice", Paid: true);
            var subscribed = await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM subscriptions WHERE customer_id = @Id AND status IN ('active', 'trialing', 'past_due', 'paused')", prospect);
            if (subscribed > 0) return null;
            var open = await connection.ExecuteScalarAsync<string?>(
                "SELECT id FROM checkout_sessions WHERE customer_id = @Id AND provider = 'test' AND status = 'open' AND expires_at > @now ORDER BY id DESC LIMIT 1",
                new { prospect.Id, now = time.GetUtcNow() });
            if (open is not null) return new DemoCheckout($"{serverUrl}/pay/test/{open}", Paid: false);
        }

        var made = await checkouts.CreateAsync(
            new CreateCheckoutRequest(prospect.Id, ProspectPlan, BillingInterval.Month, "USD", 1, $"{serverUrl}/pay/test/{{CHECKOUT_SESSION_ID}}/invoice", $"{serverUrl}/docs"), Demo, ct);
        return made.IsOk ? new DemoCheckout($"{serverUrl}/pay/test/{made.Value.Id}", Paid: false) : null;
    }

    async Task RevokeEarlierDemoKeysAsync(CancellationToken ct)
    {
        foreach (var id in await keys.ActiveIdsCreatedByAsync(Demo.Type, ct)) await keys.RevokeAsync(id, Demo, ct);
    }
}
