using System.Collections.Frozen;

namespace Tollgate.Catalog;

/// <summary>
/// What event ingestion needs to know of the metrics, from memory: which (event code, property) pairs a metric
/// allows to be negative. Loaded on first use and dropped on every catalog change, on this node or another.
/// </summary>
public sealed class CatalogMetrics(CatalogStore store)
{
    Task<FrozenSet<(string EventCode, string Field)>>? _negativeAllowed;

    public async ValueTask<bool> AllowsNegativeAsync(string eventCode, string field, CancellationToken ct)
    {
        var load = _negativeAllowed ??= LoadAsync();
        try
        {
            return (await load.WaitAsync(ct)).Contains((eventCode, field));
        }
        catch (Exception) when (load.IsFaulted)
        {
            _ = Interlocked.CompareExchange(ref _negativeAllowed, null, load); // the next caller loads again
            throw;
        }
    }

    public void Forget() => _negativeAllowed = null;

    async Task<FrozenSet<(string, string)>> LoadAsync() =>
        (await store.ListMetricsAsync(CancellationToken.None))
            .Where(m => m.AllowNegative && m.Field is not null)
            .Select(m => (m.EventCode, m.Field!))
            .ToFrozenSet();
}
