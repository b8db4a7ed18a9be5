using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tollgate.Audit;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Entitlements;
using Tollgate.Entitlements.Grants;
using Tollgate.Entitlements.Access;
using Tollgate.Metering;
using Tollgate.Metering.Queries;
using Tollgate.Storage;

namespace Tollgate.Benchmarks;

/// <summary>
/// An entitlement check in process, as <c>POST /entitlements/check</c> runs it once the customer is cached: a boolean
/// feature, and a quota whose usage this period is cached (dropped only when usage is stored). One thread.
/// </summary>
[MemoryDiagnoser]
public class EntitlementCheckBenchmark
{
    EntitlementChecker _checker = null!;
    CustomerAccess _customer = null!;

    [GlobalSetup]
    public void Setup()
    {
        var file = Path.Combine(Path.GetTempPath(), $"tollgate-bench-{Guid.NewGuid():N}.db");
        var database = new Database(ConnectionTarget.Parse($"Data Source={file}"));
        new Migrator(database, TimeProvider.System, NullLogger<Migrator>.Instance).MigrateAsync().GetAwaiter().GetResult();
        var now = DateTimeOffset.UtcNow;
        var metric = new Metric { Id = "bm_1", Code = "queries", Name = "Queries", Aggregation = Aggregation.Count, Event = "query", Filters = new Dictionary<string, string[]>(), CreatedAt = now, UpdatedAt = now };
        Feature Feature(string code, FeatureType type) => new()
        {
            Id = $"feat_{code}", Code = code, Name = code, Type = type, Metric = type == FeatureType.Quota ? metric.Code : null,
            ResetPeriod = type == FeatureType.Quota ? ResetPeriod.Month : null, CreatedAt = now, UpdatedAt = now,
        };
        var features = new Dictionary<string, Entitlement>
        {
            ["premium_models"] = new(Feature("premium_models", FeatureType.Boolean), null, true, null, Enforcement.Hard, Entitlement.FromPlan),
            ["monthly_queries"] = new(Feature("monthly_queries", FeatureType.Quota), metric, true, 2000, Enforcement.Hard, Entitlement.FromPlan),
        };
        _customer = new CustomerAccess("cus_1", null, "pro", new EntitlementSet("cus_1", "pro", features), now, now.UtcTicks);
        var catalog = new CatalogStore(database, new AuditLog(database, TimeProvider.System), new ChangeFeed(), TimeProvider.System);
        var usage = new QuotaUsageCache(new UsageAggregator(database), new UsageTotals(), Options.Create(new MeteringOptions()));
        _checker = new EntitlementChecker(catalog, usage, new GrantBalances(usage), TimeProvider.System);
        _checker.CheckAsync(_customer, "monthly_queries", 1, 0, CancellationToken.None).GetAwaiter().GetResult(); // fills the cache
    }

    [Benchmark(Baseline = true)]
    public bool Boolean() => _checker.CheckAsync(_customer, "premium_models", 1, 0, CancellationToken.None).GetAwaiter().GetResult()!.Allowed;

    [Benchmark]
    public bool Quota() => _checker.CheckAsync(_customer, "monthly_queries", 1, 0, CancellationToken.None).GetAwaiter().GetResult()!.Allowed;
}
