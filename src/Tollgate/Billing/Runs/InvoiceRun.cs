using System.Data.Common;
using Tollgate.Audit;
using Tollgate.Billing.Invoices;
using Tollgate.Billing.Periods;
using Tollgate.Billing.Rating;
using Tollgate.Billing.Subscriptions;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Metering.Queries;
using Tollgate.Storage;

namespace Tollgate.Billing.Runs;

/// <summary>What an invoice run did.</summary>
public sealed record InvoiceRunResult(DateTimeOffset RanAt, int PeriodsBilled, int InvoicesCreated, int SubscriptionsEnded, IReadOnlyList<string> InvoiceIds);

/// <summary>
/// Bills every subscription whose period has ended: its usage of the period behind (in arrears, under the charges of
/// its pinned plan version), its price for the period ahead (in advance), one invoice, finalized; a trial that ended
/// becomes active; a subscription set to cancel at the period's end ends. Each period of each subscription is one
/// transaction, and the invoice's billing key is unique, so running twice, on two nodes at once, or again after a crash
/// in the middle bills nothing twice: a period billed is a period the subscription has moved past.
/// </summary>
public sealed class InvoiceRunner(Database database, SubscriptionStore subscriptions, UsageAggregator usage, AuditLog audit, TimeProvider time)
{
    const int Batch = 500;

    public async Task<InvoiceRunResult> RunAsync(Actor actor, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var (periods, ended) = (0, 0);
        var created = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var due = (await subscriptions.DueAsync(now, Batch, ct)).Where(seen.Add).ToList();
            if (due.Count == 0) break;
            foreach (var id in due)
            {
                // One period at a time, until the subscription's period holds now (a clock moved a year bills twelve).
                while (await database.InTransactionAsync((connection, tx) => BillPeriodAsync(tx, id, now, actor, ct), ct) is { } step)
                {
                    periods++;
                    if (step.Invoice is { } invoice) created.Add(invoice.Id);
                    if (step.Ended)
                    {
                        ended++;
                        break;
                    }
                }
            }
        }

        return new InvoiceRunResult(now, periods, created.Count, ended, created);
    }

    /// <summary>
    /// The invoice the subscription's period will end with, as the run would make it at the period's end from what is
    /// known now (usage so far, prorations waiting, a scheduled change): the run's own code, in a transaction rolled
    /// back. Null when the subscription has no period to end (canceled).
    /// </summary>
    public async Task<Result<Invoice?>> UpcomingAsync(string id, CancellationToken ct)
    {
        var subscription = await subscriptions.GetAsync(id, ct);
        if (subscription is null) return ApiError.NotFound("subscription", id);
        var step = await database.RehearseAsync((connection, tx) => BillPeriodAsync(tx, id, subscription.CurrentPeriodEnd, Actor.System, ct), ct);
        return step?.Invoice is { } invoice ? invoice with { Status = InvoiceStatus.Draft, Number = null, FinalizedAt = null, PaidAt = null } : (Invoice?)null;
    }

    sealed record Step(Invoice? Invoice, bool Ended);

    async Task<Step?> BillPeriodAsync(DbTransaction tx, string id, DateTimeOffset now, Actor actor, CancellationToken ct)
    {
        var subscription = await subscriptions.FindAsync(tx, id, forUpdate: true);
        if (subscription is null || !subscription.GivesAccess || subscription.CurrentPeriodEnd > now) return null;

        var behind = subscription.CurrentPeriod;
        var trial = subscription.Status == SubscriptionStatus.Trialing;
        var ending = subscription.CancelAtPeriodEnd;
        var rated = trial ? [] : await RateUsageAsync(tx, subscription, behind, ct); // under the version of the period behind

        // A change scheduled for the period's end applies now, before the period ahead is priced.
        var renewed = subscription.PendingChange is { } change && !ending
            ? subscription with
            {
                Plan = change.Plan, PlanVersion = change.PlanVersion, Interval = change.Interval, Quantity = change.Quantity, UnitAmount = change.UnitAmount,
                BillingAnchor = change.Interval == subscription.Interval ? subscription.BillingAnchor : behind.End, PendingChange = null,
            }
            : subscription;
        var ahead = ending ? (BillingPeriod?)null
            : trial ? BillingPeriod.Numbered(renewed.BillingAnchor, renewed.Interval, 0)
            : BillingPeriod.At(renewed.BillingAnchor, renewed.Interval, behind.End);
        var reason = ending ? BillingReason.SubscriptionEnd : BillingReason.SubscriptionCycle;

        var lines = SubscriptionInvoices.Lines(renewed, ahead, behind, rated);
        var (pending, pendingIds) = await SubscriptionStore.PendingItemsAsync(tx, id);
        lines.AddRange(pending);
        var (invoice, _, billed) = await subscriptions.BillAsync(tx, renewed, reason, lines, SubscriptionStore.BillingKey(subscription, behind.End, reason), actor);
        await SubscriptionStore.MarkBilledAsync(tx, pendingIds, invoice?.Id, now);

        var next = ending
            ? billed with { Status = SubscriptionStatus.Canceled, EndedAt = behind.End, UpdatedAt = now }
            : billed with
            {
                Status = trial ? SubscriptionStatus.Active : subscription.Status,
                CurrentPeriodStart = ahead!.Value.Start,
                CurrentPeriodEnd = ahead.Value.End,
                UpdatedAt = now,
            };
        await SubscriptionStore.UpdateInAsync(tx, next);
        var action = ending ? "subscription.canceled" : trial ? "subscription.trial_ended" : "subscription.renewed";
        await audit.RecordAsync(tx, actor, action, "subscription", id, subscription, next, subscription.CustomerId);
        await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), ending ? "subscription.canceled" : "subscription.updated", subscription.CustomerId, next, now);
        if (ending || trial || renewed != subscription) await subscriptions.DerivePlanAsync(tx, subscription.CustomerId);
        return new Step(invoice, ending);
    }

    /// <summary>Each charge of the subscription's plan version in its currency, rated on the metric's value over the period.</summary>
    async Task<IReadOnlyList<RatedUsage>> RateUsageAsync(DbTransaction tx, Subscription subscription, BillingPeriod period, CancellationToken ct)
    {
        var (_, version) = await PlanStore.VersionInAsync(tx, subscription.Plan, subscription.PlanVersion);
        var charges = version?.Charges.Where(c => c.Currency == subscription.Currency && c.Model is not null).ToList() ?? [];
        if (charges.Count == 0) return [];
        var metrics = await CatalogStore.MetricsInAsync(tx.Connection!, tx);
        var rated = new List<RatedUsage>(charges.Count);
        var window = new Period(period.Start, period.End);
        foreach (var charge in charges)
        {
            if (charge.Metric is null || !metrics.TryGetValue(charge.Metric, out var metric)) continue;
            var quantity = Math.Max(0, await TotalAsync(tx, metric, subscription.CustomerId, window, ct));
            var events = charge.Model == ChargeModel.Percentage
                ? (long)await TotalAsync(tx, metric with { Aggregation = Aggregation.Count, Field = null }, subscription.CustomerId, window, ct)
                : 0;
            rated.Add(new RatedUsage(metric.Name, ChargeRater.Rate(charge.Model!.Value, charge.Properties ?? new ChargeProperties(), new ChargeUsage(quantity, events))));
        }

        return rated;
    }

    async Task<decimal> TotalAsync(DbTransaction tx, Metric metric, string customerId, Period window, CancellationToken ct)
    {
        var rows = await usage.QueryAsync(tx.Connection!, tx, UsageQuery.Total(metric, customerId, window), ct);
        return rows.IsOk && rows.Value is [{ Value: { } value }] ? value : 0;
    }
}
