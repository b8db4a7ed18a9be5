using System.Data.Common;
using Dapper;
using Tollgate.Audit;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Catalog;

/// <summary>
/// Plans and their versions. A published version never changes: a new version is how a plan changes. Every committed
/// change is published as <see cref="ChangeKind.Catalog"/>, so every node's copies are dropped.
/// </summary>
public sealed class PlanStore(Database database, AuditLog audit, ChangeFeed changes, TimeProvider time)
{
    public async Task<Result<Plan>> CreateAsync(CreatePlanRequest request, Actor actor, CancellationToken ct)
    {
        var check = new Validation().Code("code", request.Code).Text("name", request.Name, required: true).Text("description", request.Description, false, 1000);
        if (check.Failed) return check.ToError();
        try
        {
            return await database.InTransactionAsync<Plan>(changes, ChangeKind.Catalog, async (_, tx) =>
            {
                if (await FindPlanAsync(tx, request.Code!) is not null)
                {
                    return ApiError.Conflict("plan_exists", $"A plan '{request.Code}' exists already.");
                }

                var plan = await InsertPlanAsync(tx, request.Code!, request.Name!.Trim(), request.Description, actor);
                if (request.Version is null) return plan;
                var version = await AddVersionInAsync(tx, plan, request.Version, request.Publish == true, actor, "version.");
                return version.IsOk ? (await FindPlanAsync(tx, plan.Code))! : version.Error;
            }, ct);
        }
        catch (DbException e) when (DbErrors.IsUniqueViolation(e))
        {
            return ApiError.Conflict("plan_exists", $"A plan '{request.Code}' exists already.");
        }
    }

    public Task<Result<Plan>> UpdateAsync(string code, UpdatePlanRequest request, Actor actor, CancellationToken ct)
    {
        var check = new Validation().Text("name", request.Name, required: false).Text("description", request.Description, false, 1000);
        if (request.Name is not null && string.IsNullOrWhiteSpace(request.Name)) check.Add("name", "cannot be empty.");
        if (check.Failed) return Task.FromResult<Result<Plan>>(check.ToError());
        return database.InTransactionAsync(changes, ChangeKind.Catalog, async (_, tx) =>
        {
            var plan = await FindPlanAsync(tx, code);
            if (plan is null) return ApiError.NotFound("plan", code);
            return await RenameInAsync(tx, plan, request.Name?.Trim() ?? plan.Name, request.Description ?? plan.Description, actor);
        }, ct);
    }

    public Task<Result<Plan>> ArchiveAsync(string code, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync(changes, ChangeKind.Catalog, async (connection, tx) =>
        {
            var plan = await FindPlanAsync(tx, code);
            if (plan is null) return ApiError.NotFound("plan", code);
            if (plan.ArchivedAt is not null) return plan;
            var archived = plan with { ArchivedAt = time.Now() };
            await connection.ExecuteAsync("UPDATE plans SET archived_at = @ArchivedAt WHERE id = @Id", new { archived.ArchivedAt, archived.Id }, tx);
            await audit.RecordAsync(tx, actor, "plan.archived", "plan", plan.Id, plan, archived);
            return (Result<Plan>)archived;
        }, ct);

    public Task<Result<PlanVersion>> AddVersionAsync(string code, PlanVersionSpec spec, bool publish, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync(changes, ChangeKind.Catalog, async (_, tx) =>
        {
            var plan = await FindPlanAsync(tx, code);
            return plan is null ? ApiError.NotFound("plan", code) : await AddVersionInAsync(tx, plan, spec, publish, actor);
        }, ct);

    /// <summary>Replaces the content of a draft; a published version answers 409.</summary>
    public Task<Result<PlanVersion>> ReplaceDraftAsync(string code, int number, PlanVersionSpec spec, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync(changes, ChangeKind.Catalog, async (connection, tx) =>
        {
            var (plan, version) = await FindVersionAsync(tx, code, number);
            if (plan is null || version is null) return ApiError.NotFound("plan version", $"{code}@{number}");
            if (version.Status != PlanVersionStatus.Draft) return Published(code, number);

            var normal = await CheckAsync(tx, spec, "");
            if (!normal.IsOk) return normal.Error;
            await DeleteContentAsync(tx, version.Id);
            await connection.ExecuteAsync("UPDATE plan_versions SET trial_days = @TrialDays WHERE id = @Id", new { normal.Value.TrialDays, version.Id }, tx);
            await InsertContentAsync(tx, version.Id, normal.Value);
            var updated = (await LoadVersionAsync(tx, plan, number))!;
            await audit.RecordAsync(tx, actor, "plan_version.updated", "plan_version", version.Id, version, updated);
            return (Result<PlanVersion>)updated;
        }, ct);

    public Task<Result<PlanVersion>> PublishAsync(string code, int number, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync(changes, ChangeKind.Catalog, async (_, tx) =>
        {
            var (plan, version) = await FindVersionAsync(tx, code, number);
            if (plan is null || version is null) return ApiError.NotFound("plan version", $"{code}@{number}");
            if (version.Status != PlanVersionStatus.Draft) return Published(code, number);
            return (Result<PlanVersion>)await PublishInAsync(tx, version, actor);
        }, ct);

    public async Task<Page<Plan>> ListAsync(bool includeArchived, PageRequest page, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = (await connection.QueryAsync<PlanRow>(
            $"""
            {PlanSelect}
            WHERE (@Cursor IS NULL OR p.id < @Cursor) AND (@includeArchived OR p.archived_at IS NULL)
            ORDER BY p.id DESC
            LIMIT @Take
            """,
            new { page.Cursor, includeArchived, Take = page.Size + 1 })).Select(r => r.ToPlan()).ToList();
        return Page<Plan>.From(rows, page.Size, p => p.Id);
    }

    public async Task<Plan?> GetAsync(string code, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await Database.BeginReadAsync(connection, ct);
        return await FindPlanAsync(tx, code);
    }

    public async Task<PlanVersion?> GetVersionAsync(string code, int number, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await Database.BeginReadAsync(connection, ct);
        return (await FindVersionAsync(tx, code, number)).Version;
    }

    public async Task<IReadOnlyList<PlanVersion>?> ListVersionsAsync(string code, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await Database.BeginReadAsync(connection, ct);
        var plan = await FindPlanAsync(tx, code);
        if (plan is null) return null;
        var versions = new List<PlanVersion>();
        for (var n = 1; n <= plan.LatestVersion; n++)
        {
            if (await LoadVersionAsync(tx, plan, n) is { } v) versions.Add(v);
        }

        return versions;
    }

    /// <summary>
    /// Brings a plan to what a catalog file says: created if missing, renamed if its name changed, and given a new
    /// published version only when its content differs from the current one.
    /// </summary>
    internal async Task<Result<(Plan Plan, Change Change, int? Version)>> ApplyInAsync(
        DbTransaction tx, CatalogPlan entry, Actor actor, string at)
    {
        var check = new Validation().Code($"{at}code", entry.Code).Text($"{at}name", entry.Name, required: true).Text($"{at}description", entry.Description, false, 1000);
        if (check.Failed) return check.ToError();
        var spec = entry.ToVersionSpec();
        var normal = await CheckAsync(tx, spec, at);
        if (!normal.IsOk) return normal.Error;

        var plan = await FindPlanAsync(tx, entry.Code!);
        var change = Change.Unchanged;
        if (plan is null)
        {
            plan = await InsertPlanAsync(tx, entry.Code!, entry.Name!.Trim(), entry.Description, actor);
            change = Change.Created;
        }
        else if (plan.Name != entry.Name!.Trim() || plan.Description != entry.Description)
        {
            plan = (await RenameInAsync(tx, plan, entry.Name.Trim(), entry.Description, actor)).Value;
            change = Change.Updated;
        }

        var current = plan.CurrentVersion is { } n ? await LoadVersionAsync(tx, plan, n) : null;
        if (current is not null && ApiJson.Serialize(current.ToSpec()) == ApiJson.Serialize(normal.Value)) return (plan, change, current.Version);

        var version = await AddVersionInAsync(tx, plan, normal.Value, publish: true, actor, at);
        if (!version.IsOk) return version.Error;
        return ((await FindPlanAsync(tx, plan.Code))!, change == Change.Created ? Change.Created : Change.Updated, version.Value.Version);
    }

    async Task<Result<PlanVersion>> AddVersionInAsync(DbTransaction tx, Plan plan, PlanVersionSpec spec, bool publish, Actor actor, string at = "")
    {
        var normal = await CheckAsync(tx, spec, at);
        if (!normal.IsOk) return normal.Error;

        var id = Ids.New(Ids.PlanVersion, time);
        var number = plan.LatestVersion + 1;
        await tx.Connection!.ExecuteAsync(
            """
            INSERT INTO plan_versions (id, plan_id, version, status, trial_days, created_at)
            VALUES (@id, @planId, @number, 'draft', @trialDays, @now)
            """,
            new { id, planId = plan.Id, number, trialDays = normal.Value.TrialDays, now = time.Now() }, tx);
        await InsertContentAsync(tx, id, normal.Value);
        var version = (await LoadVersionAsync(tx, plan, number))!;
        await audit.RecordAsync(tx, actor, "plan_version.created", "plan_version", id, null, version);
        return publish ? await PublishInAsync(tx, version, actor) : version;
    }

    async Task<PlanVersion> PublishInAsync(DbTransaction tx, PlanVersion version, Actor actor)
    {
        var published = version with { Status = PlanVersionStatus.Published, PublishedAt = time.Now() };
        await tx.Connection!.ExecuteAsync(
            "UPDATE plan_versions SET status = 'published', published_at = @PublishedAt WHERE id = @Id",
            new { published.PublishedAt, published.Id }, tx);
        await audit.RecordAsync(tx, actor, "plan_version.published", "plan_version", version.Id, version, published);
        return published;
    }

    async Task<Result<PlanVersionSpec>> CheckAsync(DbTransaction tx, PlanVersionSpec spec, string at)
    {
        var features = (await CatalogStore.FeaturesInAsync(tx)).ToDictionary(f => f.Key, f => f.Value.Type, StringComparer.Ordinal);
        var metrics = (await CatalogStore.MetricsInAsync(tx)).Keys.ToHashSet(StringComparer.Ordinal);
        return CatalogRules.CheckVersion(spec, features, metrics, at);
    }

    async Task<Plan> InsertPlanAsync(DbTransaction tx, string code, string name, string? description, Actor actor)
    {
        var now = time.Now();
        var plan = new Plan { Id = Ids.New(Ids.Plan, time), Code = code, Name = name, Description = description, CreatedAt = now, UpdatedAt = now };
        await tx.Connection!.ExecuteAsync(
            "INSERT INTO plans (id, code, name, description, created_at, updated_at) VALUES (@Id, @Code, @Name, @Description, @CreatedAt, @UpdatedAt)",
            plan, tx);
        await audit.RecordAsync(tx, actor, "plan.created", "plan", plan.Id, null, plan);
        return plan;
    }

    async Task<Result<Plan>> RenameInAsync(DbTransaction tx, Plan plan, string name, string? description, Actor actor)
    {
        var updated = plan with { Name = name, Description = description, UpdatedAt = time.Now() };
        await tx.Connection!.ExecuteAsync(
            "UPDATE plans SET name = @Name, description = @Description, updated_at = @UpdatedAt WHERE id = @Id", updated, tx);
        await audit.RecordAsync(tx, actor, "plan.updated", "plan", plan.Id, plan, updated);
        return updated;
    }

    static async Task InsertContentAsync(DbTransaction tx, string versionId, PlanVersionSpec spec)
    {
        var connection = tx.Connection!;
        foreach (var price in spec.Prices!)
        {
            await connection.ExecuteAsync(
                "INSERT INTO plan_prices (plan_version_id, billing_interval, currency, amount_minor, minimum_amount) VALUES (@versionId, @interval, @Currency, @Amount, @MinimumAmount)",
                new { versionId, interval = EnumText.Snake(price.Interval!.Value), price.Currency, price.Amount, price.MinimumAmount }, tx);
        }

        foreach (var e in spec.Entitlements!)
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO plan_entitlements (plan_version_id, feature_id, enabled, limit_value, enforcement)
                SELECT @versionId, id, @Enabled, @Limit, @enforcement FROM features WHERE code = @Feature
                """,
                new { versionId, e.Enabled, e.Limit, enforcement = e.Enforcement is { } en ? EnumText.Snake(en) : "hard", e.Feature }, tx);
        }

        foreach (var c in spec.Charges!)
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO plan_charges (plan_version_id, metric_id, currency, model, properties)
                SELECT @versionId, id, @Currency, @model, @properties FROM metrics WHERE code = @Metric
                """,
                new { versionId, c.Currency, model = EnumText.Snake(c.Model!.Value), properties = ApiJson.Serialize(c.Properties), c.Metric }, tx);
        }
    }

    static async Task DeleteContentAsync(DbTransaction tx, string versionId)
    {
        foreach (var table in new[] { "plan_prices", "plan_entitlements", "plan_charges" })
        {
            await tx.Connection!.ExecuteAsync($"DELETE FROM {table} WHERE plan_version_id = @versionId", new { versionId }, tx);
        }
    }

    const string PlanSelect = """
        SELECT p.*,
               (SELECT MAX(v.version) FROM plan_versions v WHERE v.plan_id = p.id AND v.status = 'published') AS current_version,
               (SELECT COALESCE(MAX(v.version), 0) FROM plan_versions v WHERE v.plan_id = p.id) AS latest_version
        FROM plans p
        """;

    static async Task<Plan?> FindPlanAsync(DbTransaction tx, string code) =>
        (await tx.Connection!.QuerySingleOrDefaultAsync<PlanRow>($"{PlanSelect} WHERE p.code = @code", new { code }, tx))?.ToPlan();

    /// <summary>A plan and its version (the current published one when <paramref name="number"/> is null), in the caller's transaction.</summary>
    internal static async Task<(Plan? Plan, PlanVersion? Version)> VersionInAsync(DbTransaction tx, string code, int? number)
    {
        var plan = await FindPlanAsync(tx, code);
        if (plan is null || (number ?? plan.CurrentVersion) is not { } n) return (plan, null);
        return (plan, await LoadVersionAsync(tx, plan, n));
    }

    static async Task<(Plan? Plan, PlanVersion? Version)> FindVersionAsync(DbTransaction tx, string code, int number)
    {
        var plan = await FindPlanAsync(tx, code);
        return plan is null ? (null, null) : (plan, await LoadVersionAsync(tx, plan, number));
    }

    static async Task<PlanVersion?> LoadVersionAsync(DbTransaction tx, Plan plan, int number)
    {
        var connection = tx.Connection!;
        var row = await connection.QuerySingleOrDefaultAsync<VersionRow>(
            "SELECT * FROM plan_versions WHERE plan_id = @Id AND version = @number", new { plan.Id, number }, tx);
        if (row is null) return null;

        var prices = await connection.QueryAsync<(string Interval, string Currency, long Amount, long? Minimum)>(
            "SELECT billing_interval, currency, amount_minor, minimum_amount FROM plan_prices WHERE plan_version_id = @Id ORDER BY billing_interval, currency", new { row.Id }, tx);
        var entitlements = await connection.QueryAsync<(string Feature, bool Enabled, long? Limit, string Enforcement, string Type)>(
            """
            SELECT f.code, e.enabled, e.limit_value, e.enforcement, f.type FROM plan_entitlements e JOIN features f ON f.id = e.feature_id
            WHERE e.plan_version_id = @Id ORDER BY f.code
            """, new { row.Id }, tx);
        var charges = await connection.QueryAsync<(string Metric, string Currency, string Model, string Properties)>(
            """
            SELECT m.code, c.currency, c.model, c.properties FROM plan_charges c JOIN metrics m ON m.id = c.metric_id
            WHERE c.plan_version_id = @Id ORDER BY m.code, c.currency
            """, new { row.Id }, tx);

        return new PlanVersion
        {
            Id = row.Id,
            Plan = plan.Code,
            Version = row.Version,
            Status = EnumText.Parse<PlanVersionStatus>(row.Status),
            TrialDays = row.TrialDays,
            Prices = prices.Select(p => new PriceSpec(EnumText.Parse<BillingInterval>(p.Interval), p.Currency, p.Amount, p.Minimum))
                .OrderBy(p => p.Interval).ThenBy(p => p.Currency, StringComparer.Ordinal).ToList(),
            Entitlements = entitlements.Select(e => e.Type == "boolean"
                ? new EntitlementSpec(e.Feature, e.Enabled)
                : new EntitlementSpec(e.Feature, e.Enabled, e.Limit, e.Limit is null, EnumText.Parse<Enforcement>(e.Enforcement)))
                .OrderBy(e => e.Feature, StringComparer.Ordinal).ToList(),
            Charges = charges.Select(c => new ChargeSpec(c.Metric, c.Currency, EnumText.Parse<ChargeModel>(c.Model),
                ApiJson.Deserialize<ChargeProperties>(c.Properties)))
                .OrderBy(c => c.Metric, StringComparer.Ordinal).ThenBy(c => c.Currency, StringComparer.Ordinal).ToList(),
            CreatedAt = row.CreatedAt,
            PublishedAt = row.PublishedAt,
        };
    }

    static ApiError Published(string code, int number) => ApiError.Conflict(
        "plan_version_published", $"Version {number} of plan '{code}' is published and cannot change; create a new version instead.");

    sealed record PlanRow
    {
        public string Id { get; init; } = "";
        public string Code { get; init; } = "";
        public string Name { get; init; } = "";
        public string? Description { get; init; }
        public long? CurrentVersion { get; init; }
        public long LatestVersion { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }
        public DateTimeOffset? ArchivedAt { get; init; }

        public Plan ToPlan() => new()
        {
            Id = Id, Code = Code, Name = Name, Description = Description, CurrentVersion = (int?)CurrentVersion, LatestVersion = (int)LatestVersion,
            CreatedAt = CreatedAt, UpdatedAt = UpdatedAt, ArchivedAt = ArchivedAt,
        };
    }

    sealed record VersionRow
    {
        public string Id { get; init; } = "";
        public int Version { get; init; }
        public string Status { get; init; } = "";
        public int TrialDays { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset? PublishedAt { get; init; }
    }
}
