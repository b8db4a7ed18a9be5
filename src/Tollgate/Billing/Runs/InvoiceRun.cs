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
    Database database, SubscriptionStore subscriptions, InvoiceStore invoices, Dunning.DunningService dunning, UsageRater rater, AdvanceUsageStore advance,
    AdvanceUsageRun accruing, AuditLog audit, IEnumerable<IAfterInvoiceRun> after,
    Clocks.BillingClock clock, TimeProvider time, ILogger<InvoiceRunner> log)
{
    const int Page = 2_000;
    const int PerTransaction = 500;
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
            // PostgreSQL bills two batches at once, so one's reads overlap the other's writes; SQLite has one writer.
            await Batches.BillAsync(
                due.Chunk(PerTransaction), database.Kind == DatabaseKind.Postgres ? 2 : 1,
                async (batch, ct) => run.Count(await database.InTransactionAsync((connection, tx) => CatchUpAsync(tx, batch, run, actor, ct), ct)),
                (e, count) => LogBatchFailed(log, e, count),
                (e, id) => Failed(run, e, id),
                ct);
        }

        var (advanceInvoices, advanceFailures) = await accruing.RunAsync(now, testClock, actor, ct);
        foreach (var id in advanceInvoices) run.Issued(id);
        foreach (var failure in advanceFailures) run.Failed(failure);
        await ResumeDueAsync(now, testClock, run, actor, ct);
        await ExpireIncompleteAsync(now, testClock, run, actor, ct);
        await TrialsEndingAsync(now, testClock, ct);
        var dunningSteps = await dunning.RunAsync(actor, testClock, now, ct);
        foreach (var step in after)
        {
            try
            {
                await step.RunAsync(testClock, now, actor, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogAfterRunFailed(log, e, step.GetType().Name);
            }
        }

        return new InvoiceRunResult(now, run.Periods, run.Invoices.Count, run.Ended, [.. run.Invoices.Take(ListedInvoices)], run.Failures, dunningSteps);
    }

    /// <summary>Resumes the paused subscriptions whose <c>resumes_at</c> has come, each at that instant, in a transaction of its own.</summary>
    async Task ResumeDueAsync(DateTimeOffset now, string? testClock, RunState run, Actor actor, CancellationToken ct)
    {
        foreach (var id in await subscriptions.ResumingAsync(now, testClock, ct))
        {
            try
            {
                await database.InTransactionAsync(async (connection, tx) =>
                {
                    if (await subscriptions.FindAsync(tx, id, forUpdate: true) is not { Status: SubscriptionStatus.Paused, ResumesAt: { } at } paused || at > now) return false;
                    await subscriptions.ResumeInAsync(tx, paused, at, actor);
                    return true;
                }, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Failed(run, e, id);
            }
        }
    }

    /// <summary>How long an incomplete subscription waits for its first invoice to be paid before it ends.</summary>
    internal static readonly TimeSpan IncompleteExpiry = TimeSpan.FromHours(23);

    /// <summary>
    /// Ends the incomplete subscriptions whose first invoice was not paid within <see cref="IncompleteExpiry"/>: canceled
    /// with the reason <c>incomplete_expired</c> and the invoice voided, each in a transaction of its own.
    /// </summary>
    async Task ExpireIncompleteAsync(DateTimeOffset now, string? testClock, RunState run, Actor actor, CancellationToken ct)
    {
        foreach (var id in await subscriptions.IncompleteSinceAsync(now - IncompleteExpiry, testClock, ct))
        {
            try
            {
                await database.InTransactionAsync(async (connection, tx) =>
                {
                    if (await subscriptions.FindAsync(tx, id, forUpdate: true) is not { Status: SubscriptionStatus.Incomplete } incomplete || incomplete.CreatedAt + IncompleteExpiry > now) return false;
                    var ended = incomplete with { Status = SubscriptionStatus.Canceled, CanceledAt = now, EndedAt = now, CancelReason = "incomplete_expired", UpdatedAt = now };
                    await SubscriptionStore.UpdateInAsync(tx, ended);
                    await audit.RecordAsync(tx, actor, "subscription.incomplete_expired", "subscription", id, incomplete, ended, incomplete.CustomerId);
                    await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "subscription.canceled", incomplete.CustomerId, ended, now);
                    var open = await connection.QueryAsync<string>("SELECT id FROM invoices WHERE subscription_id = @id AND status = 'open'", new { id }, tx);
                    foreach (var invoiceId in open.ToList())
                    {
                        if (await invoices.FindAsync(tx, invoiceId, forUpdate: true) is { Status: InvoiceStatus.Open } invoice) await invoices.VoidInAsync(tx, invoice, actor);
                    }

                    return true;
                }, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Failed(run, e, id);
            }
        }
    }

    /// <summary>
    /// Bills one subscription's periods that have ended and are due, as the next invoice run would: what a change, a
    /// pause or a cancellation made now does first, so that it never reaches into a period that ended unbilled.
    /// </summary>
    public Task<int> BillDueAsync(string id, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync(async (connection, tx) =>
        {
            if (await subscriptions.FindAsync(tx, id, forUpdate: true) is not { } subscription) return 0;
            Clocks.BillingClock.Enter(await Clocks.BillingClock.OfCustomerAsync(tx, subscription.CustomerId));
            return subscriptions.IsDue(subscription, clock.Now) ? (await CatchUpAsync(tx, [id], new RunState(clock.Now), actor, ct)).Count : 0;
        }, ct);

    /// <summary>
    /// Pauses an active subscription now: its period is cut here and billed as the invoice run bills a period's end
    /// (the usage so far, in arrears, and a credit for the unused time of what was paid in advance), and it pauses.
    /// </summary>
    public Task<Result<Subscription>> PauseNowAsync(string id, PauseSubscriptionRequest request, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync<Subscription>(async (connection, tx) =>
        {
            var current = await subscriptions.FindAsync(tx, id, forUpdate: true);
            if (current is null) return ApiError.NotFound("subscription", id);
            Clocks.BillingClock.Enter(await Clocks.BillingClock.OfCustomerAsync(tx, current.CustomerId));
            if (SubscriptionStore.PauseRefused(current, request, clock.Now) is { } refused) return refused;
            return await CutNowAsync(tx, current, prorate: true, s => s with { PauseAtPeriodEnd = true, ResumesAt = request.ResumesAt }, actor, ct);
        }, ct);

    /// <summary>
    /// Cancels now. A subscription with a period under way has it cut here and billed as a period's end is billed (the
    /// usage so far and the lines waiting; with <c>prorate</c>, an active one's unused time of what it paid in advance
    /// credited), then ends; one with none (paused, incomplete) ends. Cancelling a canceled one changes nothing.
    /// </summary>
    public Task<Result<Subscription>> CancelNowAsync(string id, CancelSubscriptionRequest request, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync<Subscription>(async (connection, tx) =>
        {
            if (SubscriptionStore.CancelRefused(request) is { } refused) return refused;
            var current = await subscriptions.FindAsync(tx, id, forUpdate: true);
            if (current is null) return ApiError.NotFound("subscription", id);
            Clocks.BillingClock.Enter(await Clocks.BillingClock.OfCustomerAsync(tx, current.CustomerId));
            if (!current.GivesAccess) return await subscriptions.CancelInAsync(tx, current, request, actor);
            var prorate = request.Prorate == true && current.Status == SubscriptionStatus.Active;
            return await CutNowAsync(tx, current, prorate, s => s with { CancelAtPeriodEnd = true, CanceledAt = clock.Now, CancelReason = request.Reason }, actor, ct);
        }, ct);

    /// <summary>
    /// Cuts the subscription's period now (a second long at least), with the credit for the unused time of what it paid
    /// in advance when <paramref name="prorate"/> (waiting for its next invoice), and bills the cut period as the run
    /// bills a period's end after <paramref name="ending"/> set it to end or pause there.
    /// </summary>
    async Task<Subscription> CutNowAsync(DbTransaction tx, Subscription current, bool prorate, Func<Subscription, Subscription> ending, Actor actor, CancellationToken ct)
    {
        var now = clock.Now;
        if (now >= current.CurrentPeriodEnd)
        {
            // The period ended and waits, in its grace for late usage, for its invoice: the run bills it and then ends or pauses it.
            var atItsEnd = ending(current) with { UpdatedAt = now };
            await SubscriptionStore.UpdateInAsync(tx, atItsEnd);
            await audit.RecordAsync(tx, actor, "subscription.ending_scheduled", "subscription", current.Id, current, atItsEnd, current.CustomerId);
            await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "subscription.updated", current.CustomerId, atItsEnd, now);
            return atItsEnd;
        }

        if (now <= current.CurrentPeriodStart) now = current.CurrentPeriodStart.AddSeconds(1); // a period of at least a second
        var run = new RunState(now);
        if (prorate)
        {
            var version = (await PlanStore.VersionInAsync(tx, current.Plan, current.PlanVersion)).Version;
            if (version is not null) run.Rating.Versions[(current.Plan, current.PlanVersion)] = version; // read once, for the credit and the billing
            foreach (var unused in SubscriptionInvoices.UnusedTime(current, version?.Charges ?? [], now)) await subscriptions.AddPendingItemAsync(tx, current, unused, now);
            // What was credited back was not used: what the charges include is the cut period's share of the whole one's.
            run.CutFrom[current.Id] = current.FullPeriod;
        }

        var cut = ending(current) with { CurrentPeriodEnd = now, UpdatedAt = now };
        await SubscriptionStore.UpdateInAsync(tx, cut);
        var steps = await BillPeriodsAsync(tx, [cut], run, actor, ct);
        return steps[0].After;
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
                await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "subscription.trial_will_end", customerId, new TrialWillEnd(id, trialEnd), now);
            }

            return ending.Count;
        }, ct);
    }

    void Failed(RunState run, Exception e, string subscriptionId)
    {
        LogSubscriptionFailed(log, e, subscriptionId);
        run.Failed(new InvoiceRunFailure(subscriptionId, e.Message));
    }

    /// <summary>
    /// One period of each subscription at a time, until each one's period holds now (a clock moved a year bills twelve):
    /// each round bills the period of every subscription still behind, together.
    /// </summary>
    async Task<List<Step>> CatchUpAsync(DbTransaction tx, IReadOnlyCollection<string> ids, RunState run, Actor actor, CancellationToken ct)
    {
        var done = new List<Step>();
        for (var behind = ids; behind.Count > 0;)
        {
            var due = (await subscriptions.FindManyAsync(tx, behind)).Where(s => subscriptions.IsDue(s, run.Now)).ToList();
            if (due.Count == 0) break;
            var steps = await BillPeriodsAsync(tx, due, run, actor, ct);
            done.AddRange(steps);
            behind = [.. steps.Where(s => !s.Ended && subscriptions.IsDue(s.After, run.Now)).Select(s => s.After.Id)];
        }

        return done;
    }

    /// <summary>
    /// What one run reads once and keeps: published plan versions (they never change), metrics and tax rates as they
    /// stood when it started; and what it has done so far (its batches run two at a time on PostgreSQL).
    /// </summary>
    sealed class RunState(DateTimeOffset now)
    {
        public DateTimeOffset Now { get; } = now;
        public RatingCache Rating { get; } = new();
        public IReadOnlyList<Taxes.TaxRate>? TaxRates { get; set; }

        /// <summary>For a period cut short with its unused time credited, the whole period it was cut from (<see cref="UsageToRate.Whole"/>).</summary>
        public Dictionary<string, BillingPeriod> CutFrom { get; } = new(StringComparer.Ordinal);

        public BillingPeriod? WholeOf(string subscriptionId) => CutFrom.TryGetValue(subscriptionId, out var whole) ? whole : null;
        public int Periods { get; private set; }
        public int Ended { get; private set; }
        public List<string> Invoices { get; } = [];
        public List<InvoiceRunFailure> Failures { get; } = [];

        public void Count(List<Step> steps)
        {
            lock (Invoices)
            {
                foreach (var step in steps)
                {
                    Periods++;
                    if (step.Invoice is { } invoice) Invoices.Add(invoice.Id);
                    if (step.Ended) Ended++;
                }
            }
        }

        public void Issued(string invoiceId)
        {
            lock (Invoices) Invoices.Add(invoiceId);
        }

        public void Failed(InvoiceRunFailure failure)
        {
            lock (Invoices) Failures.Add(failure);
        }
    }

    [LoggerMessage(EventId = 12001, Level = LogLevel.Warning, Message = "Billing a batch of {Count} subscriptions failed; billing them one at a time.")]
    static partial void LogBatchFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 12007, Level = LogLevel.Error, Message = "{Step} after the invoice run failed; the next run tries again.")]
    static partial void LogAfterRunFailed(ILogger logger, Exception exception, string step);

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
        var steps = await database.RehearseAsync(async (connection, tx) =>
        {
            Clocks.BillingClock.Enter(await Clocks.BillingClock.OfCustomerAsync(tx, subscription.CustomerId));
            return subscription.GivesAccess ? await BillPeriodsAsync(tx, [subscription], new RunState(subscription.CurrentPeriodEnd), Actor.System, ct) : [];
        }, ct);
        return steps is [{ Invoice: { } invoice }] ? invoice with { Status = InvoiceStatus.Draft, Number = null, FinalizedAt = null, PaidAt = null } : (Invoice?)null;
    }

    sealed record Step(Invoice? Invoice, bool Ended, Subscription After);

    /// <summary>
    /// Bills the period that has ended of each of <paramref name="due"/>, together: its usage (in arrears, under the
    /// charges of the version of the period behind), the price of the period ahead (in advance) after a change
    /// scheduled for the period's end, and prorations waiting; one invoice each, finalized. Reads are one query per
    /// kind for the whole batch (usage one per metric and period), and so are the writes.
    /// </summary>
    async Task<List<Step>> BillPeriodsAsync(DbTransaction tx, IReadOnlyList<Subscription> due, RunState run, Actor actor, CancellationToken ct)
    {
        var now = run.Now;
        var rated = await rater.RateAsync(tx, [.. due.Where(s => s.Status != SubscriptionStatus.Trialing).Select(s => new UsageToRate(s, s.UsageWindow, run.WholeOf(s.Id)))], run.Rating, ct);
        var pending = await subscriptions.PendingItemsAsync(tx, [.. due.Select(s => s.Id)]);
        var billedInAdvance = await advance.BilledAsync(tx, due);
        run.TaxRates ??= await Taxes.TaxRateStore.ActiveInAsync(tx);
        var subjects = await subscriptions.TaxSubjectsAsync(tx, [.. due.Select(s => s.CustomerId).Distinct()]);
        // The versions the periods ahead are priced at (a change scheduled for the period's end brings its own), for charges paid in advance.
        foreach (var (plan, version) in due.Select(s => s.PendingChange is { } c && !s.CancelAtPeriodEnd ? (c.Plan, c.PlanVersion) : (s.Plan, s.PlanVersion)).Distinct())
        {
            if (!run.Rating.Versions.ContainsKey((plan, version))) run.Rating.Versions[(plan, version)] = (await PlanStore.VersionInAsync(tx, plan, version)).Version;
        }

        var periods = new List<(Subscription Before, Subscription Renewed, Subscription Spent, BillingPeriod Behind, BillingPeriod? Ahead, Invoice? Draft)>(due.Count);
        var drafts = new List<(Invoice, string?)>();
        var credits = new List<Balances.CustomerBalance.Entry>();
        foreach (var subscription in due)
        {
            var behind = subscription.CurrentPeriod;
            var trial = subscription.Status == SubscriptionStatus.Trialing;
            var ending = subscription.CancelAtPeriodEnd;
            var pausing = !ending && subscription.PauseAtPeriodEnd;
            // A change scheduled for the period's end applies now, before the period ahead is priced.
            var renewed = subscription.PendingChange is { } change && !ending
                ? subscription with
                {
                    Plan = change.Plan, PlanVersion = change.PlanVersion, Interval = change.Interval, Quantity = change.Quantity, UnitAmount = change.UnitAmount,
                    BillingAnchor = change.Interval == subscription.Interval ? subscription.BillingAnchor : behind.End, PendingChange = null,
                }
                : subscription;
            var ahead = ending || pausing ? (BillingPeriod?)null
                : trial ? BillingPeriod.Numbered(renewed.BillingAnchor, renewed.Interval, 0)
                : BillingPeriod.At(renewed.BillingAnchor, renewed.Interval, behind.End);
            var reason = ending ? BillingReason.SubscriptionEnd : BillingReason.SubscriptionCycle;

            var lines = SubscriptionInvoices.Lines(renewed, ahead, subscription.UsageWindow, rated.GetValueOrDefault(subscription.Id) ?? [],
                run.Rating.Versions.GetValueOrDefault((renewed.Plan, renewed.PlanVersion))?.Charges, billedInAdvance.GetValueOrDefault(subscription.Id));
            lines.AddRange(pending[subscription.Id].Select(p => p.Line));
            if (!trial && run.Rating.Versions.TryGetValue((subscription.Plan, subscription.PlanVersion), out var version) && version is not null
                && SubscriptionInvoices.CommitmentLine(subscription, SubscriptionRules.MinimumOf(version, subscription.Interval, subscription.Currency), behind, lines, version.Charges) is { } trueUp)
            {
                lines.Add(trueUp);
            }

            var (draft, credit, spent) = subscriptions.Draft(renewed, reason, lines, subscriptions.Taxes(subjects[subscription.CustomerId], run.TaxRates), now, behind.End);
            if (credit > 0) credits.Add(subscriptions.CreditEntry(renewed, credit, now));
            if (draft is not null) drafts.Add((draft, SubscriptionStore.BillingKey(subscription, behind.End, reason)));
            periods.Add((subscription, renewed, spent, behind, ahead, draft));
        }

        var issued = await invoices.IssueManyAsync(tx, drafts, actor);
        await Balances.CustomerBalance.RecordManyAsync(tx, credits);

        var steps = new List<Step>(periods.Count);
        var items = new List<(string, string?)>();
        var changes = new List<AuditChange>(periods.Count);
        var messages = new List<OutboxMessage>(periods.Count);
        var derive = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (subscription, renewed, spent, behind, ahead, draft) in periods)
        {
            var invoice = draft is not null && issued.TryGetValue(draft.Id, out var made) ? made : null;
            var billed = invoice is null ? renewed : spent; // a once coupon is spent only by an invoice it discounted
            var trial = subscription.Status == SubscriptionStatus.Trialing;
            var ending = subscription.CancelAtPeriodEnd;
            var next = ending ? billed with { Status = SubscriptionStatus.Canceled, EndedAt = behind.End, UpdatedAt = now }
                : ahead is null ? billed with { Status = SubscriptionStatus.Paused, PausedAt = behind.End, PauseAtPeriodEnd = false, UsageFrom = null, UpdatedAt = now }
                : billed.InPeriod(ahead.Value) with { Status = trial ? SubscriptionStatus.Active : subscription.Status, UpdatedAt = now };
            items.AddRange(pending[subscription.Id].Select(p => (p.Id, invoice?.Id)));
            var pausing = !ending && ahead is null;
            var action = ending ? "subscription.canceled" : pausing ? "subscription.paused" : trial ? "subscription.trial_ended" : "subscription.renewed";
            changes.Add(new AuditChange(action, "subscription", subscription.Id, subscription, next, subscription.CustomerId));
            var type = ending ? "subscription.canceled" : pausing ? "subscription.paused" : "subscription.updated";
            messages.Add(new OutboxMessage(Ids.New(Outbox.MessagePrefix, time), type, subscription.CustomerId, next, now));
            if (ending || pausing || trial || renewed != subscription) derive.Add(subscription.CustomerId);
            steps.Add(new Step(invoice, ending, next));
        }

        await SubscriptionStore.MarkBilledAsync(tx, items, now);
        await SubscriptionStore.UpdateManyAsync(tx, [.. steps.Select(s => s.After)]);
        await audit.RecordManyAsync(tx, actor, changes);
        await Outbox.WriteManyAsync(tx, messages);
        foreach (var customerId in derive) await subscriptions.DerivePlanAsync(tx, customerId);
        return steps;
    }
}
