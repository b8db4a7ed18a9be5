using Tollgate.Common;
using Tollgate.Gateway.Routing;

namespace Tollgate.Gateway.Admin;

/// <summary>
/// Keeps <see cref="RouteRegistry"/> in step with the stored providers and models: loaded before the server takes
/// requests, reloaded by the admin endpoints before they answer, and every <see cref="Interval"/> for changes made on other nodes.
/// </summary>
public sealed partial class RouteRefresher(RouteStore store, RouteRegistry registry, TimeProvider time, ILogger<RouteRefresher> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    readonly SemaphoreSlim _loading = new(1, 1);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await ReloadAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    /// <summary>Loads the stored definitions and swaps in the rebuilt table; one load at a time, so the newest read wins.</summary>
    public async Task ReloadAsync(CancellationToken ct)
    {
        await _loading.WaitAsync(ct);
        try
        {
            var (providers, models) = await store.LoadAsync(ct);
            registry.Apply(providers, models);
        }
        finally
        {
            _loading.Release();
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Periodic.RunAsync(Interval, time, ReloadAsync, e => LogReloadFailed(logger, e), stoppingToken);

    [LoggerMessage(EventId = 4201, Level = LogLevel.Warning,
        Message = "Could not reload the gateway's providers and models; the previous table stays in force.")]
    static partial void LogReloadFailed(ILogger logger, Exception exception);
}
