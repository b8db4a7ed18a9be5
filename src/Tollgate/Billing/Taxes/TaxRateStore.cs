using System.ComponentModel.DataAnnotations;
using System.Data.Common;
using System.Globalization;
using Dapper;
using Tollgate.Audit;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Billing.Taxes;

/// <summary><c>POST /api/v1/tax-rates</c>: a rate for customers of a country, and of one region of it when given.</summary>
public sealed record CreateTaxRateRequest(
    [property: Required] string? Code, [property: Required] string? Country, string? Region = null,
    [property: Required] decimal? Percentage = null, bool? Inclusive = null);

/// <summary>The operator's tax rates. A rate is archived rather than deleted: invoices keep what they were taxed at.</summary>
public sealed class TaxRateStore(Database database, AuditLog audit, TimeProvider time)
{
    public const string Prefix = "txr";

    public Task<Result<TaxRate>> CreateAsync(CreateTaxRateRequest request, Actor actor, CancellationToken ct)
    {
        var check = new Validation().Text("code", request.Code, required: true, 40);
        var country = Countries.Normalize(request.Country);
        if (country is null) check.Add("country", "is required: an ISO 3166-1 alpha-2 code such as IN, DE or US.");
        var region = string.IsNullOrWhiteSpace(request.Region) ? null : request.Region.Trim().ToUpperInvariant();
        if (region is not null && (region.Length > 3 || !region.All(char.IsAsciiLetterOrDigit))) check.Add("region", "must be a region code of 1 to 3 letters or digits.");
        if (request.Percentage is not { } percentage) check.Add("percentage", "is required: a percent from 0 to 100.");
        else if (percentage is < 0 or > 100 || decimal.Round(percentage, 4) != percentage) check.Add("percentage", "must be a percent from 0 to 100, with at most four decimals.");
        if (check.Failed) return Task.FromResult<Result<TaxRate>>(check.ToError());

        var rate = new TaxRate(request.Code!.Trim(), country!, region, request.Percentage!.Value, request.Inclusive ?? false, Ids.New(Prefix, time), time.GetUtcNow());
        return database.InTransactionAsync<TaxRate>(async (connection, tx) =>
        {
            var taken = await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM tax_rates WHERE code = @Code AND country = @Country AND COALESCE(region, '') = COALESCE(@Region, '') AND archived_at IS NULL",
                rate, tx);
            if (taken > 0) return ApiError.Conflict("tax_rate_exists", $"A rate {rate.Code} for {rate.Country}{(region is null ? "" : "-" + region)} exists already; archive it first.");
            await connection.ExecuteAsync(
                "INSERT INTO tax_rates (id, code, country, region, percentage, inclusive, created_at) VALUES (@Id, @Code, @Country, @Region, @percentage, @Inclusive, @CreatedAt)",
                new { rate.Id, rate.Code, rate.Country, rate.Region, percentage = rate.Percentage.ToString(CultureInfo.InvariantCulture), rate.Inclusive, rate.CreatedAt }, tx);
            await audit.RecordAsync(tx, actor, "tax_rate.created", "tax_rate", rate.Id!, null, rate, null);
            return rate;
        }, ct);
    }

    public Task<Result<TaxRate>> ArchiveAsync(string id, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync<TaxRate>(async (connection, tx) =>
        {
            var rate = (await ActiveInAsync(tx)).FirstOrDefault(r => r.Id == id);
            if (rate is null) return ApiError.NotFound("tax rate", id);
            await connection.ExecuteAsync("UPDATE tax_rates SET archived_at = @now WHERE id = @id", new { now = time.GetUtcNow(), id }, tx);
            await audit.RecordAsync(tx, actor, "tax_rate.archived", "tax_rate", id, rate, null, null);
            return rate;
        }, ct);

    public async Task<IReadOnlyList<TaxRate>> ListAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        return await ActiveInAsync(tx);
    }

    /// <summary>The rates in force, in the caller's transaction.</summary>
    public static async Task<IReadOnlyList<TaxRate>> ActiveInAsync(DbTransaction tx) =>
        [.. (await tx.Connection!.QueryAsync<(string Id, string Code, string Country, string? Region, string Percentage, bool Inclusive, DateTimeOffset CreatedAt)>(
            "SELECT id, code, country, region, percentage, inclusive, created_at FROM tax_rates WHERE archived_at IS NULL ORDER BY code, id", transaction: tx))
            .Select(r => new TaxRate(r.Code, r.Country, r.Region, decimal.Parse(r.Percentage, CultureInfo.InvariantCulture), r.Inclusive, r.Id, r.CreatedAt))];
}
