using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Tollgate.Storage;

namespace Tollgate.Operations;

/// <summary>Ready means the database answers and the schema is current.</summary>
public sealed class DatabaseHealthCheck(Database database, Migrator migrator) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            await using (var connection = await database.OpenAsync(ct))
            {
                await connection.ExecuteScalarAsync<int>("SELECT 1");
            }

            var pending = await migrator.PendingAsync(ct);
            return pending.Count == 0
                ? HealthCheckResult.Healthy($"{database.Kind} is reachable and migrated.")
                : HealthCheckResult.Unhealthy($"{pending.Count} migrations are pending; run 'tollgate migrate'.");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"{database.Kind} is not reachable.", e);
        }
    }
}
