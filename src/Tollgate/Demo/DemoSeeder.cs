using Tollgate.ApiKeys;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Customers;

namespace Tollgate.Demo;

public sealed record DemoKeys(string AdminKey, string CustomerKey, string CustomerId, string CustomerName);

/// <summary>
/// Fills the database with the answer-engine catalog and a few customers, and issues fresh test-mode keys
/// (revoking the demo keys of earlier runs, whose secrets nobody can show again).
/// </summary>
public sealed class DemoSeeder(CatalogApplier catalog, CustomerStore customers, MemberStore members, ApiKeyStore keys)
{
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

    async Task RevokeEarlierDemoKeysAsync(CancellationToken ct)
    {
        foreach (var id in await keys.ActiveIdsCreatedByAsync(Demo.Type, ct)) await keys.RevokeAsync(id, Demo, ct);
    }
}
