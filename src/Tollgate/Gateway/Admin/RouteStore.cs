using System.Data.Common;
using Dapper;
using Tollgate.Audit;
using Tollgate.Common;
using Tollgate.Gateway.Routing;
using Tollgate.Secrets;
using Tollgate.Storage;

namespace Tollgate.Gateway.Admin;

/// <summary>
/// Providers and model aliases added over the admin API. API keys are sealed with <see cref="SecretBox"/> before they
/// reach the database and opened only to build the route table; views show their last four characters.
/// </summary>
public sealed partial class RouteStore(
    Database database, SecretBox secrets, RouteRegistry registry, AuditLog audit, TimeProvider time, ILogger<RouteStore> logger)
{
    /// <summary>Everything stored, API keys opened, ready for <see cref="RouteRegistry.Apply"/>.</summary>
    public async Task<(Dictionary<string, ProviderOptions> Providers, Dictionary<string, ModelOptions> Models)> LoadAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var (providers, models) = await ReadAsync(connection, null);
        var options = providers.ToDictionary(p => p.Name, p => p.ToOptions(secrets), StringComparer.OrdinalIgnoreCase);
        foreach (var row in providers.Where(p => p.ApiKeyCiphertext is not null && options[p.Name].ApiKey is null))
        {
            LogApiKeyUndecryptable(logger, row.Name);
        }

        return (
            options,
            models.ToDictionary(m => m.Alias, m => m.ToOptions(), StringComparer.OrdinalIgnoreCase));
    }

    public async Task<IReadOnlyList<ProviderView>> ListProvidersAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var (providers, models) = await ReadAsync(connection, null);
        var stored = providers.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        return Layers(providers, models).Providers
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => p.Value.Source == RouteSource.Api ? stored[p.Key].ToView() : ProviderRow.View(p.Key, p.Value.Options, p.Value.Source))
            .ToList();
    }

    public async Task<ProviderView?> GetProviderAsync(string name, CancellationToken ct) =>
        (await ListProvidersAsync(ct)).FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    public async Task<IReadOnlyList<ModelView>> ListModelsAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var (providers, models) = await ReadAsync(connection, null);
        var stored = models.ToDictionary(m => m.Alias, StringComparer.OrdinalIgnoreCase);
        return Layers(providers, models).Models
            .OrderBy(m => m.Key, StringComparer.Ordinal)
            .Select(m => m.Value.Source == RouteSource.Api ? stored[m.Key].ToView() : ModelRow.View(m.Key, m.Value.Options, m.Value.Source))
            .ToList();
    }

    public async Task<ModelView?> GetModelAsync(string alias, CancellationToken ct) =>
        (await ListModelsAsync(ct)).FirstOrDefault(m => m.Alias.Equals(alias, StringComparison.OrdinalIgnoreCase));

    /// <summary>Creates or replaces a provider; <c>Created</c> says which.</summary>
    public async Task<Result<(ProviderView View, bool Created)>> PutProviderAsync(string name, PutProviderRequest request, Actor actor, CancellationToken ct)
    {
        var options = RouteRules.Provider(name, request, registry.Configuration.Outbound());
        if (!options.IsOk) return options.Error;
        return await database.InTransactionAsync<(ProviderView, bool)>(async (connection, tx) =>
        {
            var (providers, models) = await ReadAsync(connection, tx);
            if (Layers(providers, models).SourceOfProvider(name) == RouteSource.Configuration) return InConfiguration("provider", name);
            var current = providers.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
            var row = ProviderRow.From(current?.Name ?? name, options.Value, current, secrets, time.Now());
            await connection.ExecuteAsync(
                """
                INSERT INTO gateway_providers (name, kind, base_url, api_key_ciphertext, api_key_last_four, timeout_seconds, headers, created_at, updated_at)
                VALUES (@Name, @Kind, @BaseUrl, @ApiKeyCiphertext, @ApiKeyLastFour, @TimeoutSeconds, @Headers, @CreatedAt, @UpdatedAt)
                ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, base_url = excluded.base_url,
                    api_key_ciphertext = excluded.api_key_ciphertext, api_key_last_four = excluded.api_key_last_four,
                    timeout_seconds = excluded.timeout_seconds, headers = excluded.headers, updated_at = excluded.updated_at
                """,
                row, tx);
            var view = row.ToView();
            await audit.RecordAsync(tx, actor, current is null ? "gateway_provider.created" : "gateway_provider.updated", "gateway_provider", row.Name, current?.ToView(), view);
            return (view, current is null);
        }, ct);
    }

    public async Task<Result<ProviderView>> DeleteProviderAsync(string name, Actor actor, CancellationToken ct)
    {
        return await database.InTransactionAsync<ProviderView>(async (connection, tx) =>
        {
            var (providers, models) = await ReadAsync(connection, tx);
            var current = providers.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (current is null) return NotStored("provider", name, Layers(providers, models).SourceOfProvider(name));
            var users = models.Where(m => m.ToOptions().Deployments.Any(d => d.Provider.Equals(name, StringComparison.OrdinalIgnoreCase))).Select(m => m.Alias).ToList();
            if (users.Count > 0) return ApiError.Conflict("provider_in_use", $"Models {string.Join(", ", users)} are served by provider '{name}'; change or delete them first.");
            await connection.ExecuteAsync("DELETE FROM gateway_providers WHERE name = @Name", new { current.Name }, tx);
            await audit.RecordAsync(tx, actor, "gateway_provider.deleted", "gateway_provider", current.Name, current.ToView(), null);
            return current.ToView();
        }, ct);
    }

    public async Task<Result<(ModelView View, bool Created)>> PutModelAsync(string alias, PutModelRequest request, Actor actor, CancellationToken ct)
    {
        return await database.InTransactionAsync<(ModelView, bool)>(async (connection, tx) =>
        {
            var (providers, models) = await ReadAsync(connection, tx);
            var layers = Layers(providers, models);
            if (layers.SourceOfModel(alias) == RouteSource.Configuration) return InConfiguration("model", alias);
            var options = RouteRules.Model(alias, request, layers.ProviderNames(), layers.ModelAliases());
            if (!options.IsOk) return options.Error;
            var current = models.FirstOrDefault(m => m.Alias.Equals(alias, StringComparison.OrdinalIgnoreCase));
            var row = ModelRow.From(current?.Alias ?? alias, options.Value, current, time.Now());
            await connection.ExecuteAsync(
                """
                INSERT INTO gateway_models (alias, type, feature, deployments, fallbacks, created_at, updated_at)
                VALUES (@Alias, @Type, @Feature, @Deployments, @Fallbacks, @CreatedAt, @UpdatedAt)
                ON CONFLICT (alias) DO UPDATE SET type = excluded.type, feature = excluded.feature, deployments = excluded.deployments,
                    fallbacks = excluded.fallbacks, updated_at = excluded.updated_at
                """,
                row, tx);
            var view = row.ToView();
            await audit.RecordAsync(tx, actor, current is null ? "gateway_model.created" : "gateway_model.updated", "gateway_model", row.Alias, current?.ToView(), view);
            return (view, current is null);
        }, ct);
    }

    public async Task<Result<ModelView>> DeleteModelAsync(string alias, Actor actor, CancellationToken ct)
    {
        return await database.InTransactionAsync<ModelView>(async (connection, tx) =>
        {
            var (providers, models) = await ReadAsync(connection, tx);
            var current = models.FirstOrDefault(m => m.Alias.Equals(alias, StringComparison.OrdinalIgnoreCase));
            if (current is null) return NotStored("model", alias, Layers(providers, models).SourceOfModel(alias));
            var users = models.Where(m => m.ToOptions().Fallbacks.Contains(current.Alias, StringComparer.OrdinalIgnoreCase)).Select(m => m.Alias).ToList();
            if (users.Count > 0) return ApiError.Conflict("model_in_use", $"Models {string.Join(", ", users)} fall back to '{alias}'; change them first.");
            await connection.ExecuteAsync("DELETE FROM gateway_models WHERE alias = @Alias", new { current.Alias }, tx);
            await audit.RecordAsync(tx, actor, "gateway_model.deleted", "gateway_model", current.Alias, current.ToView(), null);
            return current.ToView();
        }, ct);
    }

    RouteLayers Layers(IEnumerable<ProviderRow> providers, IEnumerable<ModelRow> models) => RouteLayers.Merge(
        registry.Configuration,
        providers.ToDictionary(p => p.Name, p => p.ToOptions(null), StringComparer.OrdinalIgnoreCase),
        models.ToDictionary(m => m.Alias, m => m.ToOptions(), StringComparer.OrdinalIgnoreCase));

    async Task<(List<ProviderRow> Providers, List<ModelRow> Models)> ReadAsync(DbConnection connection, DbTransaction? tx)
    {
        var providers = await connection.QueryAsync<ProviderRow>("SELECT * FROM gateway_providers ORDER BY name", transaction: tx);
        var models = await connection.QueryAsync<ModelRow>("SELECT * FROM gateway_models ORDER BY alias", transaction: tx);
        return (providers.ToList(), models.ToList());
    }

    static ApiError InConfiguration(string what, string name) => ApiError.Conflict(
        "defined_in_configuration", $"The {what} '{name}' is defined in the configuration file, which wins over the admin API; change it there.");

    static ApiError NotStored(string what, string name, RouteSource? source) => source switch
    {
        RouteSource.Configuration => InConfiguration(what, name),
        RouteSource.Default => ApiError.Conflict("built_in", $"The {what} '{name}' is a built-in default; put one with the same name to replace it."),
        _ => ApiError.NotFound($"gateway {what}", name),
    };

    [LoggerMessage(EventId = 4211, Level = LogLevel.Error,
        Message = "The API key of gateway provider {Provider} does not decrypt with this node's secrets key; it is called without one. "
            + "Set the same Secrets:Key on every node.")]
    static partial void LogApiKeyUndecryptable(ILogger logger, string provider);
}
