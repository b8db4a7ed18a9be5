using System.Collections.Concurrent;
using Dapper;
using Tollgate.Entitlements;
using Tollgate.Storage;

namespace Tollgate.Gateway.Access;

/// <summary>
/// Customers' plans and entitlements (plan and overrides), held in memory so the gateway does not wait on the database: a customer
/// costs one query the first time, then is served from memory and refreshed in the background once it is
/// <see cref="Freshness"/> old. Changes made through this node are seen at once (<see cref="Invalidate"/>).
/// </summary>
public sealed class CustomerAccessCache(Database database, EntitlementLoader loader, TimeProvider time, ILogger<CustomerAccessCache> log)
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(5);

    readonly ConcurrentDictionary<string, CustomerAccess> _byId = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, string> _idByExternalId = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, byte> _refreshing = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, Lazy<Task<CustomerAccess?>>> _loading = new(StringComparer.Ordinal);

    /// <summary>The customer by Tollgate id or external id, or null if there is no live customer with it.</summary>
    public async ValueTask<CustomerAccess?> GetAsync(string idOrExternalId, CancellationToken ct)
    {
        var id = _idByExternalId.TryGetValue(idOrExternalId, out var mapped) ? mapped : idOrExternalId;
        if (_byId.TryGetValue(id, out var cached))
        {
            if (time.GetUtcNow().UtcTicks - cached.LoadedAtTicks > Freshness.Ticks) RefreshInBackground(id);
            return cached;
        }

        return await LoadOnceAsync(idOrExternalId).WaitAsync(ct);
    }

    /// <summary>
    /// Concurrent first requests for one customer share one load: a burst of a thousand requests from a new customer
    /// costs one set of queries and one connection, not a thousand.
    /// </summary>
    Task<CustomerAccess?> LoadOnceAsync(string idOrExternalId)
    {
        var load = _loading.GetOrAdd(idOrExternalId, key => new Lazy<Task<CustomerAccess?>>(async () =>
        {
            try
            {
                return await LoadAsync(key, CancellationToken.None);
            }
            finally
            {
                _loading.TryRemove(key, out _);
            }
        }));
        return load.Value;
    }

    public void Invalidate(string customerId)
    {
        if (_byId.TryRemove(customerId, out var removed) && removed.ExternalId is { } external) _idByExternalId.TryRemove(external, out _);
    }

    /// <summary>Forgets every customer, for when plans themselves changed.</summary>
    public void Clear()
    {
        _byId.Clear();
        _idByExternalId.Clear();
    }

    void RefreshInBackground(string id)
    {
        if (!_refreshing.TryAdd(id, 0)) return;
        _ = Task.Run(async () =>
        {
            try
            {
                if (await LoadAsync(id, CancellationToken.None) is null) Invalidate(id);
            }
            catch (Exception e)
            {
                log.LogWarning(e, "Refreshing customer {CustomerId} failed; serving what is cached.", id);
            }
            finally
            {
                _refreshing.TryRemove(id, out _);
            }
        });
    }

    async Task<CustomerAccess?> LoadAsync(string idOrExternalId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var customer = await connection.QuerySingleOrDefaultAsync<(string Id, string? ExternalId, string? PlanCode, object CreatedAt)>(
            "SELECT id, external_id, plan_code, created_at FROM customers WHERE (id = @key OR external_id = @key) AND deleted_at IS NULL",
            new { key = idOrExternalId });
        if (customer.Id is null) return null;

        var entitlements = await loader.LoadAsync(connection, customer.Id, customer.PlanCode, ct);
        var access = new CustomerAccess(customer.Id, customer.ExternalId, customer.PlanCode, entitlements, DapperSetup.ReadTimestamp(customer.CreatedAt), time.GetUtcNow().UtcTicks);
        _byId[access.CustomerId] = access;
        if (access.ExternalId is not null) _idByExternalId[access.ExternalId] = access.CustomerId;
        return access;
    }
}
