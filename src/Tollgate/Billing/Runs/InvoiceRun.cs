using System.Data.Common;
using Dapper;
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

/// <summary>
/// What an invoice run did: periods billed, invoices made (the first 1,000 ids listed), subscriptions ended, and the
/// subscriptions it could not bill, each with why (the next run tries them again).
/// </summary>
public sealed record InvoiceRunResult(
    DateTimeOffset RanAt, int PeriodsBilled, int InvoicesCreated, int SubscriptionsEnded, IReadOnlyList<string> InvoiceIds, IReadOnlyList<InvoiceRunFailure> Failed,
    int DunningSteps);

public sealed record InvoiceRunFailure(string SubscriptionId, string Error);

/// <summary>
/// Bills every subscription whose period has ended: its usage of the period behind (in arrears, under the charges of
/// its pinned plan version), its price for the period ahead (in advance), one invoice, finalized; a trial that ended
/// becomes active; a subscription set to cancel at the period's end ends. Subscriptions are billed a hundred to a
/// transaction, each with its period's invoice and its move to the next period in that same transaction, and the
/// invoice's billing key is unique: running twice, on two nodes at once, or again after a crash in the middle bills
/// nothing twice, because a period billed is a period the subscription has moved past. A batch that fails is billed
/// again one subscription at a time, so one bad subscription holds up no other. Then it takes the dunning steps due.
/// </summary>
public sealed partial class InvoiceRunner(
    Database database, SubscriptionStore subscriptions, Dunning.DunningService dunning, UsageAggregator usage, Metering.EventStore events, AuditLog audit,
    TimeProvider time, ILogger<InvoiceRunner> log)
{
    const int Page = 1_000;
    const int PerTransaction = 100;
    const int ListedInvoices = 1_000;

    /// <summary>Bills what is due now for every customer on no test clock (those are billed by their clock's advance).</summary>
    public Task<InvoiceRunResult> RunAsync(Actor actor, CancellationToken ct) => RunAsync(actor, null, time.GetUtcNow(), ct);

    /// <summary>
    /// Bills what is due by <paramref name="now"/>: for the customers of <paramref name="testClock"/>, at its time, or,
    /// without one, for every customer on no test clock.
    /// </summary>
    public async Task<InvoiceRunResult> RunAsync(Actor actor, string? testClock, DateTimeOffset now, CancellationToken ct)
    {
        Clocks.BillingClock.Enter(testClock is null ? null : now);
        var run = new RunState(now);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var due = (await subscriptions.DueAsync(now, testClock, Page, ct)).Where(seen.Add).ToList();
            if (due.Count == 0) break;
            foreach (var batch in due.Chunk(PerTransaction))
            {
                try
                {
                    var steps = await database.InTransactionAsync(async (connection, tx) =>
                    {
                        var done = new List<Step>();
                        foreach (var id in batch) await CatchUpAsync(tx, id, run, actor, done, ct);
                        return done;
                    }, ct);
                    run.Count(steps);
                }
                catch (Exception e) when (e is not OperationCanceledException && batch.Length > 1)
                {
                    LogBatchFailed(log, e, batch.Length);
                    foreach (var id in batch) await AloneAsync(id, run, actor, ct);
                }
            }
        }

        await TrialsEndingAsync(now, testClock, ct);
        var dunningSteps = await dunning.RunAsync(actor, testClock, now, ct);
        return new InvoiceRunResult(now, run.Periods, run.Invoices.Count, run.Ended, [.. run.Invoices.Take(ListedInvoices)], run.Failures, dunningSteps);
    }

    /// <summary>How long before a trial ends <c>subscription.trial_will_end</c> is raised, once per subscription.</summary>
    internal static readonly TimeSpan TrialWarning = TimeSpan.FromDays(3);

    async Task TrialsEndingAsync(DateTimeOffset now, string? testClock, CancellationToken ct)
    {
        await database.InTransactionAsync(async (connection, tx) =>
        {
            var ending = (await connection.QueryAsync<(string Id, string CustomerId, DateTimeOffset TrialEnd)>(
                $"""
                SELECT id, customer_id, trial_end FROM subscriptions
                WHERE status = 'trialing' AND trial_will_end_sent = FALSE AND trial_end <= @soon AND trial_end > @now AND {SubscriptionStore.OnClock(testClock)}
                ORDER BY trial_end LIMIT 10000{database.ForUpdate}
                """, new { soon = now + TrialWarning, now, testClock }, tx)).ToList();
            foreach (var (id, customerId, trialEnd) in ending)
            {
                await connection.ExecuteAsync("UPDATE subscriptions SET trial_will_end_sent = TRUE WHERE id = @id", new { id }, tx);
                await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "subscription.trial_will_end", customerId, new { subscription_id = id, trial_end = trialEnd }, now);
            }

            return ending.Count;
        }, ct);
    }

    async Task AloneAsync(string id, RunState run, Actor actor, CancellationToken ct)
    {
        try
        {
            run.Count(await database.InTransactionAsync(async (connection, tx) =>
            {
                var done = new List<Step>();
                await CatchUpAsync(tx, id, run, actor, done, ct);
                return done;
            }, ct));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogSubscriptionFailed(log, e, id);
            run.Failures.Add(new InvoiceRunFailure(id, e.Message));
        }
    }

    /// <summary>One period at a time, until the subscription's period holds now (a clock moved a year bills twelve).</summary>
    async Task CatchUpAsync(DbTransaction tx, string id, RunState run, Actor actor, List<Step> done, CancellationToken ct)
    {
        while (await BillPeriodAsync(tx, id, run.Now, actor, run, ct) is { } step)
        {
            done.Add(step);
            if (step.Ended) break;
        }
    }

    /// <summary>
    /// What one run reads once and keeps: published plan versions (they never change), metrics and tax rates as they
    /// stood when it started, each customer's tax decision; and what it has done so far.
    /// </summary>
    sealed class RunState(DateTimeOffset now)
    {
        public DateTimeOffset Now { get; } = now;
        public Dictionary<(string, int), PlanVersion?> Versions { get; } = [];
        public Dictionary<string, Metric>? Metrics { get; set; }
        public Dictionary<string, Taxes.TaxDecision> Taxes { get; } = new(StringComparer.Ordinal);
        public int Periods { get; private set; }
        public int Ended { get; private set; }
        public List<string> Invoices { get; } = [];
        public List<InvoiceRunFailure> Failures { get; } = [];

        public void Count(List<Step> steps)
        {
            foreach (var step in steps)
            {
                Periods++;
                if (step.Invoice is { } invoice) Invoices.Add(invoice.Id);
                if (step.Ended) Ended++;
            }
        }
    }

    [LoggerMessage(EventId = 12001, Level = LogLevel.Warning, Message = "Billing a batch of {Count} subscriptions failed; billing them one at a time.")]
    static partial void LogBatchFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 12002, Level = LogLevel.Error, Message = "Billing subscription {SubscriptionId} failed; the next invoice run tries again.")]
    static partial void LogSubscriptionFailed(ILogger logger, Exception exception, string subscriptionId);

    /// <summary>
    /// The invoice the subscription's period will end with, as the run would make it at the period's end from what is
    /// known now (usage so far, prorations waiting, a scheduled change): the run's own code, in a transaction rolled
    /// back. Null when the subscription has no period to end (canceled).
    /// </summary>
    public async Task<Result<Invoice?>> UpcomingAsync(string id, CancellationToken ct)
    {
        var subscription = await subscriptions.GetAsync(id, ct);
        if (subscription is null) return ApiError.NotFound("subscription", id);
        var step = await database.RehearseAsync(async (connection, tx) =>
        {
            Clocks.BillingClock.Enter(await Clocks.BillingClock.OfCustomerAsync(tx, subscription.CustomerId));
            return await BillPeriodAsync(tx, id, subscription.CurrentPeriodEnd, Actor.System, null, ct);
        }, ct);
        return step?.Invoice is { } invoice ? invoice with { Status = InvoiceStatus.Draft, Number = null, FinalizedAt = null, PaidAt = null } : (Invoice?)null;
    }

    sealed record Step(Invoice? Invoice, bool Ended);

    async Task<Step?> BillPeriodAsync(DbTransaction tx, string id, DateTimeOffset now, Actor actor, RunState? run, CancellationToken ct)
    {
        var subscription = await subscriptions.FindAsync(tx, id, forUpdate: true);
        if (subscription is null || !subscription.GivesAccess || subscription.CurrentPeriodEnd > now) return null;

        var behind = subscription.CurrentPeriod;
        var trial = subscription.Status == SubscriptionStatus.Trialing;
        var ending = subscription.CancelAtPeriodEnd;
        var rated = trial ? [] : await RateUsageAsync(tx, subscription, behind, run, ct); // under the version of the period behind

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
        var taxes = run is null ? null : await TaxesAsync(tx, subscription.CustomerId, run);
        var (invoice, _, billed) = await subscriptions.BillAsync(tx, renewed, reason, lines, SubscriptionStore.BillingKey(subscription, behind.End, reason), actor, taxes);
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
    async Task<IReadOnlyList<RatedUsage>> RateUsageAsync(DbTransaction tx, Subscription subscription, BillingPeriod period, RunState? run, CancellationToken ct)
    {
        var key = (subscription.Plan, subscription.PlanVersion);
        if (run is null || !run.Versions.TryGetValue(key, out var version))
        {
            version = (await PlanStore.VersionInAsync(tx, subscription.Plan, subscription.PlanVersion)).Version;
            if (run is not null && version?.Status != PlanVersionStatus.Draft) run.Versions[key] = version;
        }

        var charges = version?.Charges.Where(c => c.Currency == subscription.Currency && c.Model is not null).ToList() ?? [];
        if (charges.Count == 0) return [];
        var metrics = run?.Metrics ?? await CatalogStore.MetricsInAsync(tx.Connection!, tx);
        if (run is not null) run.Metrics = metrics;
        var rated = new List<RatedUsage>(charges.Count);
        var window = new Period(period.Start, period.End);
        foreach (var charge in charges)
        {
            if (charge.Metric is null || !metrics.TryGetValue(charge.Metric, out var metric)) continue;
            var quantity = Math.Max(0, await TotalAsync(tx, metric, subscription.CustomerId, window, ct));
            var properties = charge.Properties ?? new ChargeProperties();
            var count = charge.Model == ChargeModel.Percentage
                ? (long)await TotalAsync(tx, metric with { Aggregation = Aggregation.Count, Field = null }, subscription.CustomerId, window, ct)
                : 0;
            var values = charge.Model == ChargeModel.Percentage && (properties.PerEventMinimum is not null || properties.PerEventMaximum is not null)
                ? await EventValuesAsync(metric, subscription.CustomerId, window, ct)
                : null;
            rated.Add(new RatedUsage(metric.Name, ChargeRater.Rate(charge.Model!.Value, properties, new ChargeUsage(quantity, count, values))));
        }

        return rated;
    }

    async Task<Taxes.TaxDecision> TaxesAsync(DbTransaction tx, string customerId, RunState run)
    {
        if (!run.Taxes.TryGetValue(customerId, out var decision)) run.Taxes[customerId] = decision = await subscriptions.TaxesAsync(tx, customerId);
        return decision;
    }

    /// <summary>Most events a percentage charge with per-event bounds reads one by one in a period; more fails the subscription's billing, reported.</summary>
    const int MostEventsRatedOneByOne = 100_000;

    /// <summary>Each event's value of the metric's field over the period, oldest first: per-event bounds charge every event on its own.</summary>
    async Task<IReadOnlyList<decimal>> EventValuesAsync(Metric metric, string customerId, Period window, CancellationToken ct)
    {
        var values = new List<decimal>();
        var query = new Metering.EventQuery(customerId, metric.EventCode, window.Start, window.End, metric.Filters.Count == 0 ? null : metric.Filters);
        for (string? cursor = null; ;)
        {
            var page = await events.ListAsync(query, new PageRequest(PageRequest.MaxLimit, cursor), ct);
            foreach (var e in page.Data)
            {
                var value = metric.Field is { } field ? Metering.EventValues.Of(System.Text.Json.Nodes.JsonNode.Parse(e.Properties.Json)!.AsObject()).Number(field) : 1;
                if (value is { } v && v > 0) values.Add(v);
            }

            if (values.Count > MostEventsRatedOneByOne) throw new InvalidOperationException($"More than {MostEventsRatedOneByOne} events of '{metric.Code}' to rate one by one in a period.");
            if (!page.HasMore) break;
            cursor = page.NextCursor;
        }

        values.Reverse(); // the store lists newest first
        return values;
    }

    async Task<decimal> TotalAsync(DbTransaction tx, Metric metric, string customerId, Period window, CancellationToken ct)
    {
        var rows = await usage.QueryAsync(tx.Connection!, tx, UsageQuery.Total(metric, customerId, window), ct);
        return rows.IsOk && rows.Value is [{ Value: { } value }] ? value : 0;
    }
}
