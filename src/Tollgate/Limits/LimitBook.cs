using System.Collections.Frozen;

namespace Tollgate.Limits;

/// <summary>
/// Every limit, in memory, indexed by what it is set on, so the gateway finds a request's limits without a query.
/// Reloaded whenever a limit changes on any node (<see cref="ChangeFeed"/>); a failed reload keeps the last good copy.
/// </summary>
public sealed partial class LimitBook(LimitStore store, ILogger<LimitBook> log)
{
    readonly Lock _gate = new();
    Task<FrozenDictionary<(LimitScope, string), Limit[]>>? _current;
    FrozenDictionary<(LimitScope, string), Limit[]>? _lastGood;

    /// <summary>
    /// The limits a request falls under: its customer's plan's, its customer's and its key's. Without a key, the limits
    /// that apply to the customer's own requests.
    /// </summary>
    public async ValueTask<IReadOnlyList<Limit>> ForAsync(string? plan, string? customerId, string? keyId)
    {
        var index = await Current();
        if (index.Count == 0) return [];
        var p = plan is not null && index.TryGetValue((LimitScope.Plan, plan), out var ofPlan) ? ofPlan : [];
        var c = customerId is not null && index.TryGetValue((LimitScope.Customer, customerId), out var ofCustomer) ? ofCustomer : [];
        var k = keyId is not null && index.TryGetValue((LimitScope.Key, keyId), out var ofKey) ? ofKey : [];
        // Most callers fall under limits of one scope: that scope's array is the answer, as it is.
        return (p.Length, c.Length, k.Length) switch
        {
            (_, 0, 0) => p,
            (0, _, 0) => c,
            (0, 0, _) => k,
            _ => [.. p, .. c, .. k],
        };
    }

    Task<FrozenDictionary<(LimitScope, string), Limit[]>> Current()
    {
        var current = _current;
        if (current is not null) return current;
        lock (_gate) return _current ??= LoadAsync();
    }

    async Task<FrozenDictionary<(LimitScope, string), Limit[]>> LoadAsync()
    {
        try
        {
            var all = await store.ListAsync(CancellationToken.None);
            var index = all.GroupBy(l => (l.Scope, l.Target)).ToFrozenDictionary(g => g.Key, g => g.ToArray());
            _lastGood = index;
            return index;
        }
        catch (Exception e) when (_lastGood is not null)
        {
            LogReloadFailed(log, e);
            lock (_gate) _current = null;
            return _lastGood;
        }
        catch
        {
            lock (_gate) _current = null;
            throw;
        }
    }

    /// <summary>Loads every limit again; requests from now on wait for it, so a change applies to the very next request.</summary>
    public void Reload()
    {
        lock (_gate) _current = LoadAsync();
    }

    [LoggerMessage(EventId = 8001, Level = LogLevel.Warning, Message = "Reloading limits failed; enforcing the last loaded ones.")]
    static partial void LogReloadFailed(ILogger logger, Exception exception);
}
