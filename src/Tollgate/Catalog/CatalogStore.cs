using System.Data.Common;
using Dapper;
using Tollgate.Audit;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Catalog;

/// <summary>
/// Features and billable metrics, written by code so the same spec twice changes nothing. Every committed change is
/// published as <see cref="ChangeKind.Catalog"/>, so every node's copies are dropped.
/// </summary>
public sealed class CatalogStore(Database database, AuditLog audit, ChangeFeed changes, TimeProvider time)
{
    public Task<Result<Metric>> PutMetricAsync(MetricSpec spec, bool createOnly, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync(changes, ChangeKind.Catalog, async (_, tx) => (await PutMetricInAsync(tx, spec, createOnly, actor)).Map(r => r.Metric), ct);

    public Task<Result<Feature>> PutFeatureAsync(FeatureSpec spec, bool createOnly, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync(changes, ChangeKind.Catalog, async (_, tx) => (await PutFeatureInAsync(tx, spec, createOnly, actor)).Map(r => r.Feature), ct);

    internal async Task<Result<(Metric Metric, Change Change)>> PutMetricInAsync(
        DbTransaction tx, MetricSpec spec, bool createOnly, Actor actor, string at = "")
    {
        var check = CatalogRules.CheckMetric(spec, new Validation(), at);
        if (check.Failed) return check.ToError();
        spec = CatalogRules.Normalize(spec);

        var now = time.Now();
        var current = (await MetricsInAsync(tx)).GetValueOrDefault(spec.Code!);
        if (current is not null && createOnly) return ApiError.Conflict("metric_exists", $"A metric '{spec.Code}' exists already; PUT it to change it.");
        if (current is not null && ApiJson.Serialize(current.ToSpec()) == ApiJson.Serialize(spec)) return (current, Change.Unchanged);

        var metric = new Metric
        {
            Id = current?.Id ?? Ids.New(Ids.Metric, time),
            Code = spec.Code!,
            Name = spec.Name!,
            Description = spec.Description,
            Aggregation = spec.Aggregation!.Value,
            Field = spec.Field,
            Event = spec.Event,
            Filters = spec.Filters!,
            AllowNegative = spec.AllowNegative == true,
            CreatedAt = current?.CreatedAt ?? now,
            UpdatedAt = now,
        };
        var row = new
        {
            metric.Id, metric.Code, metric.Name, metric.Description, Aggregation = EnumText.Snake(metric.Aggregation), metric.Field, metric.Event,
            Filters = ApiJson.Serialize(metric.Filters), metric.AllowNegative, metric.CreatedAt, metric.UpdatedAt,
        };
        await tx.Connection!.ExecuteAsync(current is null
            ? """
              INSERT INTO metrics (id, code, name, description, aggregation, field, event_code, filters, allow_negative, created_at, updated_at)
              VALUES (@Id, @Code, @Name, @Description, @Aggregation, @Field, @Event, @Filters, @AllowNegative, @CreatedAt, @UpdatedAt)
              """
            : """
              UPDATE metrics SET name = @Name, description = @Description, aggregation = @Aggregation, field = @Field,
                                 event_code = @Event, filters = @Filters, allow_negative = @AllowNegative, updated_at = @UpdatedAt
              WHERE id = @Id
              """, row, tx);
        await audit.RecordAsync(tx, actor, current is null ? "metric.created" : "metric.updated", "metric", metric.Id, current, metric);
        return (metric, current is null ? Change.Created : Change.Updated);
    }

    internal async Task<Result<(Feature Feature, Change Change)>> PutFeatureInAsync(
        DbTransaction tx, FeatureSpec spec, bool createOnly, Actor actor, string at = "")
    {
        var metrics = await MetricsInAsync(tx);
        var check = CatalogRules.CheckFeature(spec, metrics.ContainsKey, new Validation(), at);
        if (check.Failed) return check.ToError();
        spec = CatalogRules.Normalize(spec);

        var now = time.Now();
        var current = (await FeaturesInAsync(tx)).GetValueOrDefault(spec.Code!);
        if (current is not null && createOnly) return ApiError.Conflict("feature_exists", $"A feature '{spec.Code}' exists already; PUT it to change it.");
        if (current is not null && ApiJson.Serialize(current.ToSpec()) == ApiJson.Serialize(spec)) return (current, Change.Unchanged);
        if (current is not null && current.Type != spec.Type && await FeatureUsedAsync(tx, current.Id))
        {
            return ApiError.Conflict("feature_in_use", $"Feature '{spec.Code}' is granted by plans, so its type cannot change from {EnumText.Snake(current.Type)}.");
        }

        var feature = new Feature
        {
            Id = current?.Id ?? Ids.New(Ids.Feature, time),
            Code = spec.Code!,
            Name = spec.Name!,
            Description = spec.Description,
            Type = spec.Type!.Value,
            Unit = spec.Unit,
            Metric = spec.Metric,
            ResetPeriod = spec.ResetPeriod,
            CreatedAt = current?.CreatedAt ?? now,
            UpdatedAt = now,
        };
        var row = new
        {
            feature.Id, feature.Code, feature.Name, feature.Description, Type = EnumText.Snake(feature.Type), feature.Unit,
            MetricCode = feature.Metric, ResetPeriod = feature.ResetPeriod is { } r ? EnumText.Snake(r) : null, feature.CreatedAt, feature.UpdatedAt,
        };
        await tx.Connection!.ExecuteAsync(current is null
            ? """
              INSERT INTO features (id, code, name, description, type, unit, metric_code, reset_period, created_at, updated_at)
              VALUES (@Id, @Code, @Name, @Description, @Type, @Unit, @MetricCode, @ResetPeriod, @CreatedAt, @UpdatedAt)
              """
            : """
              UPDATE features SET name = @Name, description = @Description, type = @Type, unit = @Unit,
                                  metric_code = @MetricCode, reset_period = @ResetPeriod, updated_at = @UpdatedAt
              WHERE id = @Id
              """, row, tx);
        await audit.RecordAsync(tx, actor, current is null ? "feature.created" : "feature.updated", "feature", feature.Id, current, feature);
        return (feature, current is null ? Change.Created : Change.Updated);
    }

    public Task<Result<Metric>> DeleteMetricAsync(string code, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync(changes, ChangeKind.Catalog, async (connection, tx) =>
        {
            var metric = (await MetricsInAsync(tx)).GetValueOrDefault(code);
            if (metric is null) return ApiError.NotFound("metric", code);
            var used = await connection.ExecuteScalarAsync<long>(
                "SELECT (SELECT COUNT(*) FROM features WHERE metric_code = @code) + (SELECT COUNT(*) FROM plan_charges WHERE metric_id = @id)",
                new { code, id = metric.Id }, tx);
            if (used > 0) return ApiError.Conflict("metric_in_use", $"Metric '{code}' is used by features or plan charges.");
            await connection.ExecuteAsync("DELETE FROM metrics WHERE id = @Id", new { metric.Id }, tx);
            await audit.RecordAsync(tx, actor, "metric.deleted", "metric", metric.Id, metric, null);
            return (Result<Metric>)metric;
        }, ct);

    public Task<Result<Feature>> DeleteFeatureAsync(string code, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync(changes, ChangeKind.Catalog, async (connection, tx) =>
        {
            var feature = (await FeaturesInAsync(tx)).GetValueOrDefault(code);
            if (feature is null) return ApiError.NotFound("feature", code);
            if (await FeatureUsedAsync(tx, feature.Id)) return ApiError.Conflict("feature_in_use", $"Feature '{code}' is granted by plans.");
            await connection.ExecuteAsync("DELETE FROM features WHERE id = @Id", new { feature.Id }, tx);
            await audit.RecordAsync(tx, actor, "feature.deleted", "feature", feature.Id, feature, null);
            return (Result<Feature>)feature;
        }, ct);

    public async Task<IReadOnlyList<Metric>> ListMetricsAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return (await connection.QueryAsync<MetricRow>("SELECT * FROM metrics ORDER BY code")).Select(r => r.ToMetric()).ToList();
    }

    public async Task<IReadOnlyList<Feature>> ListFeaturesAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return (await connection.QueryAsync<FeatureRow>("SELECT * FROM features ORDER BY code")).Select(r => r.ToFeature()).ToList();
    }

    public async Task<Metric?> GetMetricAsync(string code, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return (await connection.QuerySingleOrDefaultAsync<MetricRow>("SELECT * FROM metrics WHERE code = @code", new { code }))?.ToMetric();
    }

    public async Task<Feature?> GetFeatureAsync(string code, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return (await connection.QuerySingleOrDefaultAsync<FeatureRow>("SELECT * FROM features WHERE code = @code", new { code }))?.ToFeature();
    }

    internal static Task<Dictionary<string, Metric>> MetricsInAsync(DbTransaction tx) => MetricsInAsync(tx.Connection!, tx);

    internal static Task<Dictionary<string, Feature>> FeaturesInAsync(DbTransaction tx) => FeaturesInAsync(tx.Connection!, tx);

    /// <summary>Every metric by code, read on a connection the caller already holds.</summary>
    public static async Task<Dictionary<string, Metric>> MetricsInAsync(DbConnection connection, DbTransaction? tx = null) =>
        (await connection.QueryAsync<MetricRow>("SELECT * FROM metrics", transaction: tx))
            .Select(r => r.ToMetric()).ToDictionary(m => m.Code, StringComparer.Ordinal);

    /// <summary>Every feature by code, read on a connection the caller already holds.</summary>
    public static async Task<Dictionary<string, Feature>> FeaturesInAsync(DbConnection connection, DbTransaction? tx = null) =>
        (await connection.QueryAsync<FeatureRow>("SELECT * FROM features", transaction: tx))
            .Select(r => r.ToFeature()).ToDictionary(f => f.Code, StringComparer.Ordinal);

    static async Task<bool> FeatureUsedAsync(DbTransaction tx, string featureId) =>
        await tx.Connection!.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM plan_entitlements WHERE feature_id = @featureId", new { featureId }, tx) > 0;

    sealed record MetricRow
    {
        public string Id { get; init; } = "";
        public string Code { get; init; } = "";
        public string Name { get; init; } = "";
        public string? Description { get; init; }
        public string Aggregation { get; init; } = "";
        public string? Field { get; init; }
        public string? EventCode { get; init; }
        public string Filters { get; init; } = "{}";
        public bool AllowNegative { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }

        public Metric ToMetric() => new()
        {
            Id = Id, Code = Code, Name = Name, Description = Description, Aggregation = EnumText.Parse<Aggregation>(Aggregation), Field = Field, Event = EventCode,
            Filters = ApiJson.Deserialize<Dictionary<string, string[]>>(Filters) ?? [], AllowNegative = AllowNegative, CreatedAt = CreatedAt, UpdatedAt = UpdatedAt,
        };
    }

    sealed record FeatureRow
    {
        public string Id { get; init; } = "";
        public string Code { get; init; } = "";
        public string Name { get; init; } = "";
        public string? Description { get; init; }
        public string Type { get; init; } = "";
        public string? Unit { get; init; }
        public string? MetricCode { get; init; }
        public string? ResetPeriod { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }

        public Feature ToFeature() => new()
        {
            Id = Id, Code = Code, Name = Name, Description = Description, Type = EnumText.Parse<FeatureType>(Type), Unit = Unit, Metric = MetricCode,
            ResetPeriod = ResetPeriod is null ? null : EnumText.Parse<ResetPeriod>(ResetPeriod), CreatedAt = CreatedAt, UpdatedAt = UpdatedAt,
        };
    }
}
