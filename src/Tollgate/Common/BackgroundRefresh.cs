using System.Collections.Concurrent;

namespace Tollgate.Common;

/// <summary>
/// Reads a stale copy again in the background, at most once at a time per key: however many requests notice that a
/// cached key or customer is old, one read runs, and the requests go on with the copy they have.
/// </summary>
public sealed class BackgroundRefresh<TKey>(IEqualityComparer<TKey>? comparer = null) where TKey : notnull
{
    readonly ConcurrentDictionary<TKey, byte> _running = new(comparer);

    /// <summary>Starts <paramref name="refresh"/> unless one for <paramref name="key"/> runs already; a failure goes to <paramref name="failed"/>.</summary>
    public void Start(TKey key, Func<Task> refresh, Action<Exception> failed)
    {
        if (!_running.TryAdd(key, 0)) return;
        _ = Task.Run(async () =>
        {
            try
            {
                await refresh();
            }
            catch (Exception e)
            {
                failed(e);
            }
            finally
            {
                _running.TryRemove(key, out _);
            }
        });
    }
}
