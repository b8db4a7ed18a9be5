namespace Tollgate.Common;

/// <summary>What changed, for caches that hold copies of it.</summary>
public enum ChangeKind
{
    Customer,
    Catalog,
    Limit,
    Key,

    /// <summary>Usage of a customer was stored: totals cached for checks are stale.</summary>
    Usage,

    /// <summary>A payment provider's credentials were stored or deleted over the API.</summary>
    PaymentCredentials,
}

/// <summary>
/// Tells in-memory caches that a record changed, after its transaction committed. Changes made on this node are
/// <see cref="Publish"/>ed: this node's caches hear them at once and, on PostgreSQL, every other node hears them
/// through <c>LISTEN/NOTIFY</c> (<see cref="Storage.ClusterChanges"/>), which <see cref="Receive"/>s them there. A
/// null id means "any of this kind": drop every copy.
/// </summary>
public sealed class ChangeFeed
{
    /// <summary>Every change, made here or on another node.</summary>
    public event Action<ChangeKind, string?>? Changed;

    /// <summary>Changes made on this node, for other nodes to hear.</summary>
    public event Action<ChangeKind, string?>? Published;

    /// <summary>
    /// Inside a database transaction the change waits for it (<see cref="TransactionChanges"/>): sent to the
    /// other nodes in the same transaction, heard here once it commits, and never if it rolls back.
    /// </summary>
    public void Publish(ChangeKind kind, string? id = null)
    {
        if (TransactionChanges.TryDefer(kind, id)) return;
        Changed?.Invoke(kind, id);
        Published?.Invoke(kind, id);
    }

    /// <summary>A change this node's caches have taken in already (usage added to totals), for the other nodes only.</summary>
    public void PublishToOthers(ChangeKind kind, string? id = null) => Published?.Invoke(kind, id);

    /// <summary>Changes another node, or this one's database transaction, has already told the other nodes of.</summary>
    public void PublishedElsewhere(ChangeKind kind, string? id) => Changed?.Invoke(kind, id);

    /// <summary>A change made on another node.</summary>
    public void Receive(ChangeKind kind, string? id) => Changed?.Invoke(kind, id);

    /// <summary>Anything may have changed (this node stopped hearing the others for a while): every cache starts again.</summary>
    public void ReceiveAll()
    {
        foreach (var kind in Enum.GetValues<ChangeKind>()) Receive(kind, null);
    }
}

/// <summary>Runs a service's reaction to changes for as long as the host runs.</summary>
public static class ChangeSubscriptions
{
    public static IServiceCollection OnChange<T>(this IServiceCollection services, Action<T, ChangeKind, string?> react) where T : notnull =>
        services.AddSingleton<IHostedService>(s => new Subscription(s.GetRequiredService<ChangeFeed>(), (kind, id) => react(s.GetRequiredService<T>(), kind, id)));

    sealed class Subscription(ChangeFeed feed, Action<ChangeKind, string?> react) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            feed.Changed += react;
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken)
        {
            feed.Changed -= react;
            return Task.CompletedTask;
        }
    }
}
