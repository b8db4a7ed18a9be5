using Dapper;
using Tollgate.Analytics.Customers;
using Tollgate.Analytics.Mrr;
using Tollgate.Billing.Invoices;
using Tollgate.Billing.Subscriptions;
using Tollgate.Common;
using Tollgate.Customers;
using Tollgate.Storage;

namespace Tollgate.Dashboard.Customers;

/// <summary>One entry of a customer's audit trail.</summary>
public sealed record AuditEntry(string Action, string ActorType, string? ActorId, string ResourceType, string ResourceId, DateTimeOffset OccurredAt);

/// <summary>A customer's whole story for its page: who, its subscriptions and invoices, MRR movements, usage, margin, health and audit trail.</summary>
public sealed record CustomerStoryModel(
    Customer Customer, IReadOnlyList<Subscription> Subscriptions, IReadOnlyList<Invoice> Invoices, CustomerAnalyticsView Analytics,
    IReadOnlyList<AuditEntry> Audit, string? Flash);

public sealed class CustomerStory(
    CustomerStore customers, SubscriptionStore subscriptions, InvoiceStore invoices, MrrProjector projector, CustomerAnalytics analytics, Database database)
{
    public async Task<CustomerStoryModel?> BuildAsync(string id, string? flash, CancellationToken ct)
    {
        if (await customers.GetAsync(id, ct) is not { } customer) return null;
        await projector.CatchUpAsync(ct);
        var subs = await subscriptions.ListAsync(id, null, new PageRequest(100, null), ct);
        var bills = await invoices.ListAsync(id, null, null, new PageRequest(50, null), finalizedOnly: false, ct);
        var story = await analytics.GetAsync(id, ct);
        await using var connection = await database.OpenAsync(ct);
        var audit = await connection.QueryAsync<AuditEntry>(
            """
            SELECT action, actor_type, actor_id, resource_type, resource_id, occurred_at FROM audit_log
            WHERE customer_id = @id ORDER BY occurred_at DESC, id DESC LIMIT 30
            """, new { id });
        return new CustomerStoryModel(customer, subs.Data, bills.Data, story!, [.. audit], flash);
    }
}
