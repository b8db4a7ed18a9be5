using System.ComponentModel.DataAnnotations;
using System.Data.Common;
using System.Globalization;
using Dapper;
using Tollgate.Audit;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Billing.Taxes;

/// <summary>The operator's tax rates. A rate is archived rather than deleted: invoices keep what they were taxed at.</summary>
public sealed class TaxRateStore(Database database, AuditLog audit, TimeProvider time)
{
    public const string Prefix = "txr";

    public Task<Result<TaxRate>> CreateAsync(TaxRateSpec request, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync((connection, tx) => CreateInAsync(tx, request, actor), ct);

    /// <summary>
    /// For a catalog file: creates the rate when no rate of its code, country and region is in force; changes nothing
    /// when one is, with the same terms; otherwise archives that one and creates this (invoices keep what they were taxed at).
    /// </summary>
    internal async Task<Result<Change>> ApplyInAsync(DbTransaction tx, TaxRateSpec spec, Actor actor, string at)
    {
        var region = Region(spec.Region);
        var current = (await ActiveInAsync(tx)).FirstOrDefault(r =>
            r.Code == spec.Code?.Trim() && r.Country == Countries.Normalize(spec.Country) && r.Region == region);
        if (current is not null && current.Percentage == spec.Percentage && current.Inclusive == (spec.Inclusive ?? false)) return Change.Unchanged;
        if (current is not null) await ArchiveInAsync(tx, current, actor);

        var created = await CreateInAsync(tx, spec, actor, at);
        return !created.IsOk ? created.Error : current is null ? Change.Created : Change.Updated;
    }

    static string? Region(string? region) => string.IsNullOrWhiteSpace(region) ? null : region.Trim().ToUpperInvariant();

    internal async Task<Result<TaxRate>> CreateInAsync(DbTransaction tx, TaxRateSpec request, Actor actor, string at = "")
    {
        var check = new Validation().Text($"{at}code", request.Code, required: true, 40);
        var country = Countries.Normalize(request.Country);
        if (country is null) check.Add($"{at}country", "is required: an ISO 3166-1 alpha-2 code such as IN, DE or US.");
        var region = Region(request.Region);
        if (region is not null && (region.Length > 3 || !region.All(char.IsAsciiLetterOrDigit))) check.Add($"{at}region", "must be a region code of 1 to 3 letters or digits.");
        if (request.Percentage is not { } percentage) check.Add($"{at}percentage", "is required: a percent from 0 to 100.");
        else if (percentage is < 0 or > 100 || decimal.Round(percentage, 4) != percentage) check.Add($"{at}percentage", "must be a percent from 0 to 100, with at most four decimals.");
        if (check.Failed) return check.ToError();

        var rate = new TaxRate(request.Code!.Trim(), country!, region, request.Percentage!.Value, request.Inclusive ?? false, Ids.New(Prefix, time), time.GetUtcNow());
        var connection = tx.Connection!;
        var taken = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM tax_rates WHERE code = @Code AND country = @Country AND COALESCE(region, '') = COALESCE(@Region, '') AND archived_at IS NULL",
            rate, tx);
        if (taken > 0) return ApiError.Conflict("tax_rate_exists", $"A rate {rate.Code} for {rate.Country}{(region is null ? "" : "-" + region)} exists already; archive it first.");
        await connection.ExecuteAsync(
            "INSERT INTO tax_rates (id, code, country, region, percentage, inclusive, created_at) VALUES (@Id, @Code, @Country, @Region, @percentage, @Inclusive, @CreatedAt)",
            new { rate.Id, rate.Code, rate.Country, rate.Region, percentage = rate.Percentage.ToString(CultureInfo.InvariantCulture), rate.Inclusive, rate.CreatedAt }, tx);
        await audit.RecordAsync(tx, actor, "tax_rate.created", "tax_rate", rate.Id!, null, rate, null);
        return rate;
    }

    public Task<Result<TaxRate>> ArchiveAsync(string id, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync<TaxRate>(async (connection, tx) =>
        {
            var rate = (await ActiveInAsync(tx)).FirstOrDefault(r => r.Id == id);
            if (rate is null) return ApiError.NotFound("tax rate", id);
            await ArchiveInAsync(tx, rate, actor);
            return rate;
        }, ct);

    /// <summary>Archives a rate in force, in the caller's transaction: invoices taxed at it keep it; no new invoice uses it.</summary>
    async Task ArchiveInAsync(DbTransaction tx, TaxRate rate, Actor actor)
    {
        await tx.Connection!.ExecuteAsync("UPDATE tax_rates SET archived_at = @now WHERE id = @Id", new { now = time.GetUtcNow(), rate.Id }, tx);
        await audit.RecordAsync(tx, actor, "tax_rate.archived", "tax_rate", rate.Id!, rate, null, null);
    }

    public async Task<IReadOnlyList<TaxRate>> ListAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await Database.BeginReadAsync(connection, ct);
        return await ActiveInAsync(tx);
    }

    /// <summary>The rates in force, in the caller's transaction.</summary>
    public static async Task<IReadOnlyList<TaxRate>> ActiveInAsync(DbTransaction tx) =>
        [.. (await tx.Connection!.QueryAsync<(string Id, string Code, string Country, string? Region, string Percentage, bool Inclusive, DateTimeOffset CreatedAt)>(
            "SELECT id, code, country, region, percentage, inclusive, created_at FROM tax_rates WHERE archived_at IS NULL ORDER BY code, id", transaction: tx))
            .Select(r => new TaxRate(r.Code, r.Country, r.Region, decimal.Parse(r.Percentage, CultureInfo.InvariantCulture), r.Inclusive, r.Id, r.CreatedAt))];
}
