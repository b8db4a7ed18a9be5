namespace Tollgate.Catalog;

/// <summary>
/// What event ingestion needs to know of the metrics, from memory (<see cref="CatalogSnapshot"/>): which (event code,
/// property) pairs a metric allows to be negative.
/// </summary>
public sealed class CatalogMetrics(CatalogSnapshot snapshot)
{
    public async ValueTask<bool> AllowsNegativeAsync(string eventCode, string field, CancellationToken ct) =>
        (await snapshot.GetAsync(null, ct)).NegativeAllowed.Contains((eventCode, field));
}
