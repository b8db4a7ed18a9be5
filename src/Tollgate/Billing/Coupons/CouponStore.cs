using System.Data.Common;
using System.Globalization;
using Dapper;
using Tollgate.Audit;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Billing.Coupons;

/// <summary>Coupons, and their redemption by a subscription in the subscription's own transaction.</summary>
public sealed class CouponStore(Database database, AuditLog audit, TimeProvider time)
{
    public const string Prefix = "cpn";
    const string Columns = "id, code, percent_off, amount_off, currency, duration, duration_in_months, max_redemptions, times_redeemed, redeem_by, created_at, archived_at";

    public Task<Result<Coupon>> CreateAsync(CouponSpec request, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync((connection, tx) => CreateInAsync(tx, request, actor), ct);

    /// <summary>
    /// For a catalog file: creates the coupon when its code is new, changes nothing when it exists with the same terms,
    /// and refuses other terms (a coupon's terms never change once it may have been redeemed: give it a new code).
    /// </summary>
    internal async Task<Result<Change>> ApplyInAsync(DbTransaction tx, CouponSpec spec, Actor actor, string at)
    {
        if (spec.Code is not null && await FindAsync(tx, spec.Code) is { } existing)
        {
            var currency = spec.AmountOff is null ? null : Currencies.Normalize(spec.Currency);
            var same = existing.PercentOff == spec.PercentOff && existing.AmountOff == spec.AmountOff && existing.Currency == currency
                && existing.Duration == spec.Duration && existing.DurationInMonths == spec.DurationInMonths && existing.MaxRedemptions == spec.MaxRedemptions
                && existing.RedeemBy == spec.RedeemBy;
            return same ? Change.Unchanged
                : ApiError.Conflict("coupon_terms_changed", $"{at}code: coupon '{existing.Code}' exists with other terms; a coupon's terms never change, so give new terms a new code.");
        }

        var created = await CreateInAsync(tx, spec, actor, at);
        return created.IsOk ? Change.Created : created.Error;
    }

    internal async Task<Result<Coupon>> CreateInAsync(DbTransaction tx, CouponSpec request, Actor actor, string at = "")
    {
        var check = new Validation().Text($"{at}code", request.Code, required: true, 64);
        if (request.Code is { Length: > 0 } given && !given.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            check.Add($"{at}code", "may hold only letters, digits, '-' and '_'.");
        if ((request.PercentOff is null) == (request.AmountOff is null)) check.Add($"{at}percent_off", "give percent_off or amount_off, one of them.");
        if (request.PercentOff is { } percent && (percent is <= 0 or > 100 || decimal.Round(percent, 2) != percent)) check.Add($"{at}percent_off", "must be more than 0 and at most 100, with at most two decimals.");
        if (request.AmountOff is { } amount) check.Range($"{at}amount_off", amount, 1, CatalogRules.MaxAmount);
        var currency = Currencies.Normalize(request.Currency);
        if (request.AmountOff is not null && currency is null) check.Add($"{at}currency", "is required with amount_off: an ISO 4217 code.");
        if (request.PercentOff is not null && request.Currency is not null) check.Add($"{at}currency", "belongs to amount_off coupons only.");
        if (request.Duration is null) check.Add($"{at}duration", "is required: once, repeating or forever.");
        if (request.Duration == CouponDuration.Repeating)
        {
            if (request.DurationInMonths is not { } months) check.Add($"{at}duration_in_months", "is required for a repeating coupon.");
            else check.Range($"{at}duration_in_months", months, 1, 120);
        }
        else if (request.DurationInMonths is not null)
        {
            check.Add($"{at}duration_in_months", "belongs to repeating coupons only.");
        }

        if (request.MaxRedemptions is { } max) check.Range($"{at}max_redemptions", max, 1, long.MaxValue / 2);
        if (check.Failed) return check.ToError();

        var coupon = new Coupon
        {
            Id = Ids.New(Prefix, time), Code = request.Code!, PercentOff = request.PercentOff, AmountOff = request.AmountOff,
            Currency = request.AmountOff is null ? null : currency, Duration = request.Duration!.Value, DurationInMonths = request.DurationInMonths,
            MaxRedemptions = request.MaxRedemptions, TimesRedeemed = 0, RedeemBy = request.RedeemBy, CreatedAt = time.GetUtcNow(),
        };
        var connection = tx.Connection!;
        if (await FindAsync(tx, coupon.Code) is not null) return ApiError.Conflict("coupon_exists", $"There is a coupon '{coupon.Code}' already.");
        await connection.ExecuteAsync(
            $"""
            INSERT INTO coupons ({Columns})
            VALUES (@Id, @Code, @percent, @AmountOff, @Currency, @duration, @DurationInMonths, @MaxRedemptions, 0, @RedeemBy, @CreatedAt, NULL)
            """,
            new { coupon.Id, coupon.Code, percent = coupon.PercentOff?.ToString(CultureInfo.InvariantCulture), coupon.AmountOff, coupon.Currency,
                duration = EnumText.Snake(coupon.Duration), coupon.DurationInMonths, coupon.MaxRedemptions, coupon.RedeemBy, coupon.CreatedAt }, tx);
        await audit.RecordAsync(tx, actor, "coupon.created", "coupon", coupon.Id, null, coupon, null);
        return coupon;
    }

    public Task<Result<Coupon>> ArchiveAsync(string code, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync<Coupon>(async (connection, tx) =>
        {
            var coupon = await FindAsync(tx, code);
            if (coupon is null) return ApiError.NotFound("coupon", code);
            if (coupon.ArchivedAt is not null) return coupon;
            var archived = coupon with { ArchivedAt = time.GetUtcNow() };
            await connection.ExecuteAsync("UPDATE coupons SET archived_at = @ArchivedAt WHERE id = @Id", archived, tx);
            await audit.RecordAsync(tx, actor, "coupon.archived", "coupon", coupon.Id, coupon, archived, null);
            return archived;
        }, ct);

    public async Task<Coupon?> GetAsync(string code, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await Database.BeginReadAsync(connection, ct);
        return await FindAsync(tx, code);
    }

    public async Task<IReadOnlyList<Coupon>> ListAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return [.. (await connection.QueryAsync<Row>($"SELECT {Columns} FROM coupons ORDER BY id DESC LIMIT 1000")).Select(r => r.ToCoupon())];
    }

    /// <summary>
    /// Redeems a coupon for a subscription in <paramref name="currency"/>, in the caller's transaction: counted against
    /// its redemptions there, so two subscriptions cannot both take its last one.
    /// </summary>
    public async Task<Result<AppliedCoupon>> RedeemInAsync(DbTransaction tx, string code, string currency, DateTimeOffset now)
    {
        var coupon = await FindAsync(tx, code, forUpdate: true);
        if (coupon is null || coupon.ArchivedAt is not null) return ApiError.Invalid("coupon", $"There is no coupon '{code}'.");
        if (coupon.RedeemBy is { } by && now >= by) return new ApiError("coupon_expired", StatusCodes.Status400BadRequest, $"Coupon '{coupon.Code}' could be redeemed until {by:u}.");
        if (coupon.MaxRedemptions is { } max && coupon.TimesRedeemed >= max)
        {
            return new ApiError("coupon_used_up", StatusCodes.Status400BadRequest, $"Coupon '{coupon.Code}' has been redeemed all {max} times it may be.");
        }

        if (coupon.Currency is { } only && only != currency)
        {
            return new ApiError("coupon_currency", StatusCodes.Status400BadRequest, $"Coupon '{coupon.Code}' takes an amount off in {only}; the subscription is in {currency}.");
        }

        var updated = await tx.Connection!.ExecuteAsync(
            "UPDATE coupons SET times_redeemed = times_redeemed + 1 WHERE id = @Id AND (max_redemptions IS NULL OR times_redeemed < max_redemptions)", coupon, tx);
        if (updated == 0) return new ApiError("coupon_used_up", StatusCodes.Status400BadRequest, $"Coupon '{coupon.Code}' has been redeemed all the times it may be.");
        var endsAt = coupon.Duration == CouponDuration.Repeating ? now.AddMonths(coupon.DurationInMonths!.Value) : (DateTimeOffset?)null;
        return new AppliedCoupon(coupon.Code, coupon.PercentOff, coupon.AmountOff, coupon.Duration, endsAt, Used: false);
    }

    /// <summary>Codes are kept as written (<c>LAUNCH20</c>) and found whatever their case, so two cannot differ by case alone.</summary>
    async Task<Coupon?> FindAsync(DbTransaction tx, string code, bool forUpdate = false) =>
        (await tx.Connection!.QuerySingleOrDefaultAsync<Row>(
            $"SELECT {Columns} FROM coupons WHERE LOWER(code) = LOWER(@code){(forUpdate ? database.ForUpdate : "")}", new { code }, tx))?.ToCoupon();

    sealed class Row
    {
        public string Id { get; init; } = "";
        public string Code { get; init; } = "";
        public string? PercentOff { get; init; }
        public long? AmountOff { get; init; }
        public string? Currency { get; init; }
        public string Duration { get; init; } = "";
        public long? DurationInMonths { get; init; }
        public long? MaxRedemptions { get; init; }
        public long TimesRedeemed { get; init; }
        public DateTimeOffset? RedeemBy { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset? ArchivedAt { get; init; }

        public Coupon ToCoupon() => new()
        {
            Id = Id, Code = Code, PercentOff = PercentOff is null ? null : decimal.Parse(PercentOff, CultureInfo.InvariantCulture), AmountOff = AmountOff,
            Currency = Currency, Duration = EnumText.Parse<CouponDuration>(Duration), DurationInMonths = (int?)DurationInMonths, MaxRedemptions = MaxRedemptions,
            TimesRedeemed = TimesRedeemed, RedeemBy = RedeemBy, CreatedAt = CreatedAt, ArchivedAt = ArchivedAt,
        };
    }
}
