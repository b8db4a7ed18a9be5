using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Catalog;

/// <summary>
/// Applies a catalog document in one transaction: all of it or none of it. Applying the same document twice
/// changes nothing the second time. Things the document does not mention are left alone.
/// </summary>
public sealed class CatalogApplier(Database database, CatalogStore catalog, PlanStore plans, ChangeFeed changes, IEnumerable<ICatalogPart> parts)
{
    public async Task<Result<CatalogApplyResult>> ApplyAsync(CatalogDocument document, bool dryRun, Actor actor, CancellationToken ct)
    {
        if (Duplicates(document) is { } duplicate) return duplicate;
        Task<Result<CatalogApplyResult>> Apply(System.Data.Common.DbConnection _, System.Data.Common.DbTransaction tx) => ApplyInAsync(tx, document, dryRun, actor);
        return dryRun ? await database.RehearseAsync(Apply, ct) : await database.InTransactionAsync(changes, ChangeKind.Catalog, Apply, ct);
    }

    /// <summary>Metrics first, then features, then plans: each refers to the ones before.</summary>
    async Task<Result<CatalogApplyResult>> ApplyInAsync(System.Data.Common.DbTransaction tx, CatalogDocument document, bool dryRun, Actor actor)
    {
        var applied = new List<CatalogChange>();

        // Metrics first: features and charges refer to them.
        foreach (var (spec, i) in (document.Metrics ?? []).Select((s, i) => (s, i)))
        {
            var result = await catalog.PutMetricInAsync(tx, spec, createOnly: false, actor, $"metrics[{i}].");
            if (!result.IsOk) return result.Error;
            applied.Add(new("metric", result.Value.Metric.Code, result.Value.Change));
        }

        foreach (var (spec, i) in (document.Features ?? []).Select((s, i) => (s, i)))
        {
            var result = await catalog.PutFeatureInAsync(tx, spec, createOnly: false, actor, $"features[{i}].");
            if (!result.IsOk) return result.Error;
            applied.Add(new("feature", result.Value.Feature.Code, result.Value.Change));
        }

        foreach (var (entry, i) in (document.Plans ?? []).Select((s, i) => (s, i)))
        {
            var result = await plans.ApplyInAsync(tx, entry, actor, $"plans[{i}].");
            if (!result.IsOk) return result.Error;
            applied.Add(new("plan", result.Value.Plan.Code, result.Value.Change, result.Value.Version));
        }

        // Then what other features keep in the catalog (coupons and tax rates).
        foreach (var part in parts)
        {
            var result = await part.ApplyInAsync(tx, document, actor);
            if (!result.IsOk) return result.Error;
            applied.AddRange(result.Value);
        }

        return new CatalogApplyResult(dryRun, applied);
    }

    public async Task<CatalogDocument> ExportAsync(CancellationToken ct)
    {
        var metrics = await catalog.ListMetricsAsync(ct);
        var features = await catalog.ListFeaturesAsync(ct);
        var entries = new List<CatalogPlan>();
        string? cursor = null;
        do
        {
            var page = await plans.ListAsync(includeArchived: false, new PageRequest(PageRequest.MaxLimit, cursor), ct);
            // A plan with only drafts has no content to export yet; applying it would publish an empty version.
            foreach (var plan in page.Data.Where(p => p.CurrentVersion is not null))
            {
                var version = (await plans.GetVersionAsync(plan.Code, plan.CurrentVersion!.Value, ct))!;
                entries.Add(new CatalogPlan(plan.Code, plan.Name, plan.Description, version.TrialDays,
                    [.. version.Prices], [.. version.Entitlements], [.. version.Charges]));
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);

        var document = new CatalogDocument(
            metrics.Select(m => m.ToSpec()).ToList(),
            features.Select(f => f.ToSpec()).ToList(),
            entries.OrderBy(p => p.Code, StringComparer.Ordinal).ToList());
        foreach (var part in parts) document = await part.ExportAsync(document, ct);
        return document;
    }

    static ApiError? Duplicates(CatalogDocument document)
    {
        var check = new Validation();
        void Find(string list, IEnumerable<string?> codes)
        {
            foreach (var code in codes.Where(c => c is not null).GroupBy(c => c).Where(g => g.Count() > 1))
            {
                check.Add(list, $"'{code.Key}' appears {code.Count()} times.");
            }
        }

        Find("metrics", (document.Metrics ?? []).Select(m => m.Code));
        Find("features", (document.Features ?? []).Select(f => f.Code));
        Find("plans", (document.Plans ?? []).Select(p => p.Code));
        Find("coupons", (document.Coupons ?? []).Select(c => c.Code?.ToUpperInvariant()));
        Find("tax_rates", (document.TaxRates ?? []).Select(r => $"{r.Code?.Trim()}:{r.Country?.Trim().ToUpperInvariant()}-{r.Region?.Trim().ToUpperInvariant()}"));
        return check.Failed ? check.ToError() : null;
    }
}
