using Tollgate.Analytics.Customers;
using Tollgate.Billing.Invoices;
using Tollgate.Billing.Subscriptions;
using Tollgate.Common;
using Tollgate.Customers;

namespace Tollgate.Dashboard.Customers;

/// <summary>A customer's whole story for its page: who, its subscriptions and invoices, MRR movements, usage, margin, health and audit trail.</summary>
public sealed record CustomerStoryModel(
    Customer Customer, IReadOnlyList<Subscription> Subscriptions, IReadOnlyList<Invoice> Invoices, CustomerAnalyticsView Analytics,
    IReadOnlyList<Tollgate.Audit.AuditEntry> Audit, IReadOnlyList<ApiKeys.ApiKeyView> Keys, IReadOnlyList<Member> Members, string? Flash);

public sealed class CustomerStory(
    CustomerStore customers, SubscriptionStore subscriptions, InvoiceStore invoices, CustomerAnalytics analytics, Tollgate.Audit.AuditLog audit,
    ApiKeys.ApiKeyStore keys, MemberStore members)
{
    public async Task<CustomerStoryModel?> BuildAsync(string id, string? flash, CancellationToken ct)
    {
        if (await customers.GetAsync(id, ct) is not { } customer) return null;
        // No catching up of the MRR projection here: a customer's page never waits on every other customer's events;
        // its movements are at most Analytics:PollInterval old.
        var subs = await subscriptions.ListAsync(id, null, new PageRequest(100, null), ct);
        var bills = await invoices.ListAsync(id, null, null, new PageRequest(50, null), finalizedOnly: false, ct);
        var story = await analytics.GetAsync(id, ct);
        var keyList = await keys.ListAsync(id, ApiKeys.KeyKind.Customer, new PageRequest(100, null), ct);
        var team = await members.ListAsync(id, new PageRequest(100, null), ct);
        var trail = await audit.ListAsync(new Tollgate.Audit.AuditQuery(null, null, null, null, id), new PageRequest(30, null), ct);
        return new CustomerStoryModel(customer, subs.Data, bills.Data, story!, trail.Data, keyList.Data, team.Data, flash);
    }
}
