using System.Data.Common;
using Dapper;
using Tollgate.Billing.Invoices;
using Tollgate.Billing.Subscriptions;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Billing.Runs;

/// <summary>
/// Bills usage as it accrues, for the charges paid in advance (<c>pay_in_advance</c> on a model that rates usage): every
/// invoice run bills, for each subscription under way on a plan version with such charges, what each charge's usage so
/// far in the period has come to beyond what was billed of it before: one invoice, reason <c>usage_in_advance</c>,
/// finalized. The period's end then bills the period's usage less what was billed of it in advance (a credit when less,
/// as volume pricing can come to). A subscription's row is locked while its usage is billed, so two runs at once bill
/// each unit once, and the billing key counts the window's invoices on, so a run crashed and run again bills it once too.
/// </summary>
/// <remarks>
/// Coupons: a percent coupon that lasts (<c>repeating</c> while it runs, <c>forever</c>) discounts these invoices as it
/// discounts the period's; an amount off and a <c>once</c> coupon are the period's invoice's alone, so that many small
/// invoices neither take an amount off each nor spend a once coupon.
/// </remarks>
public sealed partial class AdvanceUsageRun(
    Database database, SubscriptionStore subscriptions, InvoiceStore invoices, AdvanceUsageStore advance, UsageRater rater, ILogger<AdvanceUsageRun> log)
{
    const int PerTransaction = 500;

    /// <summary>Bills the usage accrued by <paramref name="now"/> of the customers of <paramref name="testClock"/>, or of those on none.</summary>
    public async Task<(List<string> Invoices, List<InvoiceRunFailure> Failures)> RunAsync(DateTimeOffset now, string? testClock, Actor actor, CancellationToken ct)
    {
        var (issued, failures) = (new List<string>(), new List<InvoiceRunFailure>());
        var accruing = await AccruingAsync(now, testClock, ct);
        var cache = new RatingCache();
        await Batches.BillAsync(
            accruing.Chunk(PerTransaction), 1,
            async (batch, ct) => issued.AddRange(await database.InTransactionAsync((connection, tx) => BillAsync(tx, batch, now, cache, actor, ct), ct)),
            (e, count) => LogBatchFailed(log, e, count),
            (e, id) =>
            {
                LogSubscriptionFailed(log, e, id);
                failures.Add(new InvoiceRunFailure(id, e.Message));
            },
            ct);
        return (issued, failures);
    }

    /// <summary>
    /// The subscriptions with a period under way at <paramref name="now"/> (active or past due, not in a trial) on a plan
    /// version with a charge that bills its usage in advance: the versions found in one query, the subscriptions in another.
    /// </summary>
    async Task<List<string>> AccruingAsync(DateTimeOffset now, string? testClock, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var versions = (await connection.QueryAsync<(string Plan, int Version, string Model, string Properties)>(
            """
            SELECT p.code, v.version, c.model, c.properties FROM plan_charges c
            JOIN plan_versions v ON v.id = c.plan_version_id JOIN plans p ON p.id = v.plan_id
            WHERE c.properties LIKE '%"pay_in_advance":true%'
            """))
            .Where(c => new Catalog.ChargeSpec("", null, EnumText.Parse<Catalog.ChargeModel>(c.Model), ApiJson.Deserialize<Catalog.ChargeProperties>(c.Properties)).BillsUsageInAdvance)
            .Select(c => (c.Plan, c.Version)).ToHashSet();
        if (versions.Count == 0) return [];
        var plans = versions.Select(v => v.Plan).Distinct(StringComparer.Ordinal).ToList();
        var rows = await connection.QueryAsync<(string Id, string Plan, int Version)>(
            $"""
            SELECT id, plan_code, plan_version FROM subscriptions
            WHERE status IN ('active', 'past_due') AND {SubscriptionStore.OnClock(testClock)} AND current_period_end > @now AND current_period_start < @now
              AND plan_code {database.AnyOf("plans")}
            ORDER BY id
            """, new { now, testClock, plans = database.ListOf(plans) });
        return [.. rows.Where(r => versions.Contains((r.Plan, r.Version))).Select(r => r.Id)];
    }

    async Task<List<string>> BillAsync(DbTransaction tx, IReadOnlyCollection<string> ids, DateTimeOffset now, RatingCache cache, Actor actor, CancellationToken ct)
    {
        // Locked, and read again: what the subscriptions are now, not when they were found.
        var accruing = (await subscriptions.FindManyAsync(tx, ids))
            .Where(s => s.Status is SubscriptionStatus.Active or SubscriptionStatus.PastDue && s.CurrentPeriodEnd > now && s.UsageWindow.Start < now).ToList();
        if (accruing.Count == 0) return [];
        var rated = await rater.RateAsync(tx, [.. accruing.Select(s => new UsageToRate(s, s.UsageWindow, SoFar: now))], cache, ct);
        var billed = await advance.BilledAsync(tx, accruing);
        var subjects = await subscriptions.TaxSubjectsAsync(tx, [.. accruing.Select(s => s.CustomerId).Distinct()]);
        var rates = await Taxes.TaxRateStore.ActiveInAsync(tx);

        var drafts = new List<(Invoice, string?)>();
        var bills = new List<AdvanceBill>();
        foreach (var subscription in accruing)
        {
            var window = subscription.UsageWindow;
            var before = billed.GetValueOrDefault(subscription.Id) ?? AdvanceBilled.None;
            var accrued = SubscriptionInvoices.AdvanceUsageLines(window, now, rated.GetValueOrDefault(subscription.Id) ?? [], before).ToList();
            if (accrued.Count == 0) continue;
            var discounted = subscription with { Discount = subscription.Discount is { PercentOff: not null, Duration: not Catalog.CouponDuration.Once } lasting ? lasting : null };
            var (draft, _, _) = subscriptions.Draft(discounted, BillingReason.UsageInAdvance, [.. accrued.Select(a => a.Line)], subscriptions.Taxes(subjects[subscription.CustomerId], rates), now);
            if (draft is null) continue;
            drafts.Add((draft, $"{subscription.Id}:{window.Start.UtcTicks}:{EnumText.Snake(BillingReason.UsageInAdvance)}:{before.Invoices + 1}"));
            bills.AddRange(accrued.Select(a => new AdvanceBill(draft.Id, a.Code, subscription.Id, window.Start, a.Line.Amount)));
        }

        var issued = await invoices.IssueManyAsync(tx, drafts, actor);
        await AdvanceUsageStore.RecordAsync(tx, [.. bills.Where(b => issued.ContainsKey(b.InvoiceId))]);
        return [.. issued.Keys];
    }

    [LoggerMessage(EventId = 12005, Level = LogLevel.Warning, Message = "Billing the usage in advance of a batch of {Count} subscriptions failed; billing them one at a time.")]
    static partial void LogBatchFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 12006, Level = LogLevel.Error, Message = "Billing the usage in advance of subscription {SubscriptionId} failed; the next invoice run tries again.")]
    static partial void LogSubscriptionFailed(ILogger logger, Exception exception, string subscriptionId);
}
