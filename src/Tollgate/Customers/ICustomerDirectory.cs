namespace Tollgate.Customers;

/// <summary>A live customer as lookups need it: its Tollgate id and the operator's external id.</summary>
public readonly record struct KnownCustomer(string Id, string? ExternalId);

/// <summary>
/// Finds live customers from memory, by Tollgate id or by external id (two namespaces, never mixed). Declared here for
/// the features below the entitlements that need to know a customer exists (event ingestion, usage queries, teams);
/// served by the entitlements' access cache.
/// </summary>
public interface ICustomerDirectory
{
    ValueTask<KnownCustomer?> FindAsync(string value, bool external, CancellationToken ct);
}
