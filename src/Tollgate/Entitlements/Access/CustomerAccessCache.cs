using System.Collections.Concurrent;
using Dapper;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Entitlements.Access;

/// <summary>
/// Customers' plans and entitlements (plan and overrides), held in memory so the gateway does not wait on the database: a customer
/// costs one query the first time, then is served from memory and refreshed in the background once it is
/// <see cref="Freshness"/> old. Changes made through this node are seen at once (<see cref="Invalidate"/>). Bounded by
/// size and age: past <paramref name="maxCustomers"/>, customers not used for <see cref="IdleAfter"/> go, and if that is
/// not enough, those read longest ago; they are read again on their next request.
/// </summary>
public sealed partial class CustomerAccessCache(
    Database database, EntitlementLoader loader, TimeProvider time, ILogger<CustomerAccessCache> log, int maxCustomers = 100_000)
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(5);

    /// <summary>A customer whose copy was not refreshed this long has not been used since (a used copy is refreshed every <see cref="Freshness"/>).</summary>
    public static readonly TimeSpan IdleAfter = TimeSpan.FromMinutes(10);

    public int Count => _byId.Count;

    readonly ConcurrentDictionary<string, CustomerAccess> _byId = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, string> _idByExternalId = new(StringComparer.Ordinal);
    readonly BackgroundRefresh<string> _refreshing = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<CustomerKey, Lazy<Task<CustomerAccess?>>> _loading = new();

    /// <summary>The live customer with Tollgate id <paramref name="id"/>, or null. An external id never matches.</summary>
    public ValueTask<CustomerAccess?> GetAsync(string id, CancellationToken ct) => GetAsync(new CustomerKey(id, External: false), ct);

    /// <summary>The live customer with the operator's <paramref name="externalId"/>, or null. A Tollgate id never matches.</summary>
    public ValueTask<CustomerAccess?> GetByExternalIdAsync(string externalId, CancellationToken ct) => GetAsync(new CustomerKey(externalId, External: true), ct);

    /// <summary>
    /// One value that may be either (the gateway's customer header): <c>cus_…</c> is a Tollgate id, anything else an
    /// external id, which can never start so.
    /// </summary>
    public ValueTask<CustomerAccess?> FindAsync(string idOrExternalId, CancellationToken ct) =>
        Ids.IsCustomerId(idOrExternalId) ? GetAsync(idOrExternalId, ct) : GetByExternalIdAsync(idOrExternalId, ct);

    async ValueTask<CustomerAccess?> GetAsync(CustomerKey key, CancellationToken ct)
    {
        var id = key.External ? _idByExternalId.GetValueOrDefault(key.Value) : key.Value;
        if (id is not null && _byId.TryGetValue(id, out var cached))
        {
            if (time.GetUtcNow().UtcTicks - cached.LoadedAtTicks > Freshness.Ticks) RefreshInBackground(id);
            return cached;
        }

        return await LoadOnceAsync(key).WaitAsync(ct);
    }

    /// <summary>
    /// Concurrent first requests for one customer share one load: a burst of a thousand requests from a new customer
    /// costs one set of queries and one connection, not a thousand.
    /// </summary>
    Task<CustomerAccess?> LoadOnceAsync(CustomerKey customer)
    {
        var load = _loading.GetOrAdd(customer, key => new Lazy<Task<CustomerAccess?>>(async () =>
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

    void RefreshInBackground(string id) => _refreshing.Start(
        id,
        async () =>
        {
            if (await LoadAsync(new CustomerKey(id, External: false), CancellationToken.None) is null) Invalidate(id);
        },
        e => LogRefreshFailed(log, e, id));

    async Task<CustomerAccess?> LoadAsync(CustomerKey key, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var customer = await connection.QuerySingleOrDefaultAsync<(string Id, string? ExternalId, string? PlanCode, long? PlanVersion, object CreatedAt)>(
            $"SELECT id, external_id, plan_code, plan_version, created_at FROM customers WHERE {(key.External ? "external_id" : "id")} = @value AND deleted_at IS NULL",
            new { value = key.Value });
        if (customer.Id is null) return null;

        var entitlements = await loader.LoadAsync(connection, customer.Id, customer.PlanCode, (int?)customer.PlanVersion, ct);
        var access = new CustomerAccess(customer.Id, customer.ExternalId, customer.PlanCode, entitlements, DapperSetup.ReadTimestamp(customer.CreatedAt), time.GetUtcNow().UtcTicks);
        _byId[access.CustomerId] = access;
        if (access.ExternalId is not null) _idByExternalId[access.ExternalId] = access.CustomerId;
        if (_byId.Count > maxCustomers) MakeRoom();
        return access;
    }

    /// <summary>Drops the customers idle for <see cref="IdleAfter"/>, then, while still over the bound, those read longest ago.</summary>
    void MakeRoom()
    {
        lock (_byId)
        {
            if (_byId.Count <= maxCustomers) return;
            var idleBefore = time.GetUtcNow().UtcTicks - IdleAfter.Ticks;
            var byAge = _byId.Values.OrderBy(c => c.LoadedAtTicks).ToList();
            var over = _byId.Count - maxCustomers;
            foreach (var customer in byAge)
            {
                if (customer.LoadedAtTicks >= idleBefore && over <= 0) break;
                Invalidate(customer.CustomerId);
                over--;
            }
        }
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Refreshing customer {CustomerId} failed; serving what is cached.")]
    static partial void LogRefreshFailed(ILogger logger, Exception exception, string customerId);
}

/// <summary>A customer named by its Tollgate id or by its external id: two namespaces, never mixed.</summary>
readonly record struct CustomerKey(string Value, bool External);

/// <summary>The customer directory of the features below the entitlements, served from the access cache.</summary>
public sealed class CustomerDirectory(CustomerAccessCache cache) : Customers.ICustomerDirectory
{
    public async ValueTask<Customers.KnownCustomer?> FindAsync(string value, bool external, CancellationToken ct) =>
        (external ? await cache.GetByExternalIdAsync(value, ct) : await cache.GetAsync(value, ct)) is { } access
            ? new Customers.KnownCustomer(access.CustomerId, access.ExternalId)
            : null;
}
