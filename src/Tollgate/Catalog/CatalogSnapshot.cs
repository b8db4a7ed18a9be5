using System.Collections.Frozen;
using System.Data.Common;
using Tollgate.Storage;

namespace Tollgate.Catalog;

/// <summary>The catalog's metrics and features as one node holds them.</summary>
public sealed record CatalogView(
    IReadOnlyDictionary<string, Metric> Metrics, IReadOnlyDictionary<string, Feature> Features, FrozenSet<(string EventCode, string Field)> NegativeAllowed,
    DateTimeOffset LoadedAt);

/// <summary>
/// One snapshot of the catalog's metrics and features for the whole node: read on first use, dropped on every catalog
/// change (made here, or on another node and heard through the change feed), and read again after
/// <see cref="MaxAge"/> in case a change notice was lost. Entitlement loads and event ingestion read it instead of the
/// catalog's tables.
/// </summary>
public sealed class CatalogSnapshot(Database database, TimeProvider time)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(1);

    Task<CatalogView>? _current;

    /// <summary>The snapshot; when it must be read, it is read on <paramref name="connection"/> (the caller's, so a burst of loads needs no second one).</summary>
    public async Task<CatalogView> GetAsync(DbConnection? connection, CancellationToken ct)
    {
        var load = _current;
        if (load is null || (load.IsCompletedSuccessfully && time.GetUtcNow() - load.Result.LoadedAt > MaxAge))
        {
            var fresh = LoadAsync(connection);
            load = Interlocked.CompareExchange(ref _current, fresh, load) == load ? fresh : _current ?? fresh;
        }

        try
        {
            return await load.WaitAsync(ct);
        }
        catch (Exception) when (load.IsFaulted)
        {
            _ = Interlocked.CompareExchange(ref _current, null, load); // the next caller reads again
            throw;
        }
    }

    public void Forget() => _current = null;

    async Task<CatalogView> LoadAsync(DbConnection? connection)
    {
        var loadedAt = time.GetUtcNow();
        var own = connection is null ? await database.OpenAsync() : null;
        try
        {
            var on = connection ?? own!;
            var metrics = await CatalogStore.MetricsInAsync(on);
            var features = await CatalogStore.FeaturesInAsync(on);
            var negative = metrics.Values.Where(m => m.AllowNegative && m.Field is not null).Select(m => (m.EventCode, m.Field!)).ToFrozenSet();
            return new CatalogView(metrics.ToFrozenDictionary(StringComparer.Ordinal), features.ToFrozenDictionary(StringComparer.Ordinal), negative, loadedAt);
        }
        finally
        {
            if (own is not null) await own.DisposeAsync();
        }
    }
}
