using System.Data.Common;
using Dapper;
using Tollgate.Audit;
using Tollgate.Billing.Balances;
using Tollgate.Billing.Coupons;
using Tollgate.Billing.Taxes;
using Tollgate.Billing.Invoices;
using Tollgate.Billing.Periods;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Billing.Subscriptions;

/// <summary>
/// Subscriptions. Each change is one transaction: the subscription, the customer's plan derived from its subscriptions
/// (<see cref="DerivePlanAsync"/>), the invoice it makes, the audit entries and the outbox events; the customer's
/// caches on every node hear of it with the commit.
/// </summary>
public sealed class SubscriptionStore(
    Database database, InvoiceStore invoices, CouponStore coupons, UsageRater rater, AdvanceUsageStore advance, AuditLog audit, ChangeFeed changes, Microsoft.Extensions.Options.IOptions<BillingOptions> options, Clocks.BillingClock clock, TimeProvider time)
{
    const string Columns =
        "id, customer_id, plan_code, plan_version, billing_interval, currency, quantity, unit_amount, status, billing_anchor, current_period_start, " +
        "current_period_end, trial_end, cancel_at_period_end, cancel_reason, canceled_at, ended_at, pending_change, discount, created_at, updated_at";

    /// <summary>What a read of a subscription selects: its columns and its customer's test clock.</summary>
    const string Selected = Columns + ", test_clock_id, pause_at_period_end, paused_at, resumes_at, usage_from";

    public Task<Result<Subscription>> CreateAsync(CreateSubscriptionRequest request, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync((connection, tx) => CreateInAsync(tx, request, actor), ct);

    /// <summary>
    /// Moves a customer whose subscription dunning gave up on to <paramref name="plan"/>, a free plan: a new subscription,
    /// active from now, in the same currency and interval. Nothing when the plan is unknown, archived, or would bill
    /// anything in that currency (<see cref="SubscriptionRules.FallbackInterval"/>).
    /// </summary>
    internal async Task<Subscription?> FallBackInAsync(DbTransaction tx, Subscription ended, string plan, Actor actor)
    {
        var (found, version) = await PlanStore.VersionInAsync(tx, plan, null);
        if (found is not { ArchivedAt: null } || version is null) return null;
        if (SubscriptionRules.FallbackInterval(version, ended.Interval, ended.Currency) is not { } interval) return null;
        var made = await CreateInAsync(tx, new CreateSubscriptionRequest(ended.CustomerId, plan, interval, ended.Currency, 1, 0), actor);
        return made.IsOk ? made.Value : null;
    }

    /// <summary>
    /// Creates a subscription in the caller's transaction: on <paramref name="version"/> of the plan (its current one when
    /// null); without a trial its first period is invoiced at once, unless <paramref name="billFirstPeriod"/> is false
    /// (a customer moved onto subscriptions who paid for the period elsewhere).
    /// </summary>
    internal async Task<Result<Subscription>> CreateInAsync(DbTransaction tx, CreateSubscriptionRequest request, Actor actor, int? version = null, bool billFirstPeriod = true)
    {
        var connection = tx.Connection!;
        var customer = request.CustomerId is null ? null : await connection.QuerySingleOrDefaultAsync<(string Currency, string? TestClockId)?>(
            $"SELECT currency, test_clock_id FROM customers WHERE id = @id AND deleted_at IS NULL{database.ForUpdate}", new { id = request.CustomerId }, tx);
        if (customer is not ({ } currency, var testClock)) return ApiError.Invalid("customer_id", $"There is no customer '{request.CustomerId}'.");
        var (plan, pinned) = request.Plan is null ? (null, null) : await PlanStore.VersionInAsync(tx, request.Plan, version);
        if (plan is null || (plan.ArchivedAt is not null && version is null)) return ApiError.Invalid("plan", $"There is no active plan '{request.Plan}'.");
        if (pinned is not { Status: not PlanVersionStatus.Draft }) return new ApiError("plan_not_published", StatusCodes.Status400BadRequest, $"Plan '{plan.Code}' has no published version to subscribe to.");
        Clocks.BillingClock.Enter(await Clocks.BillingClock.OfCustomerAsync(tx, request.CustomerId!));
        var now = clock.Now;
        var made = SubscriptionRules.ForCreate(request, pinned, currency, Ids.New(Ids.Subscription, time), now);
        if (!made.IsOk) return made;
        var subscription = made.Value with { TestClockId = testClock };
        if (request.Coupon is not null)
        {
            var redeemed = await coupons.RedeemInAsync(tx, request.Coupon, subscription.Currency, now);
            if (!redeemed.IsOk) return redeemed.Error;
            subscription = subscription with { Discount = redeemed.Value };
        }

        await connection.ExecuteAsync(
            $"""
            INSERT INTO subscriptions ({Columns}, test_clock_id)
            VALUES (@Id, @CustomerId, @Plan, @PlanVersion, @interval, @Currency, @Quantity, @UnitAmount, @status, @BillingAnchor, @CurrentPeriodStart,
                    @CurrentPeriodEnd, @TrialEnd, @CancelAtPeriodEnd, @CancelReason, @CanceledAt, @EndedAt, @pendingChange, @discount, @CreatedAt, @UpdatedAt,
                    @TestClockId)
            """,
            Parameters(subscription), tx);

        if (subscription.Status == SubscriptionStatus.Active && billFirstPeriod)
        {
            var billed = await BillAsync(tx, subscription, BillingReason.SubscriptionCreate, SubscriptionInvoices.Lines(subscription, subscription.CurrentPeriod, null, [], pinned.Charges),
                BillingKey(subscription, subscription.CurrentPeriodStart, BillingReason.SubscriptionCreate), actor);
            // default_incomplete: no access until the first invoice is paid (or expired with it after a day).
            var incomplete = request.PaymentBehavior == PaymentBehavior.DefaultIncomplete && billed.Invoice is { AmountDue: > 0 };
            var after = incomplete ? billed.After with { Status = SubscriptionStatus.Incomplete } : billed.After;
            if (after != subscription) await UpdateInAsync(tx, subscription = after);
        }

        await audit.RecordAsync(tx, actor, "subscription.created", "subscription", subscription.Id, null, subscription, subscription.CustomerId);
        await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "subscription.created", subscription.CustomerId, subscription, now);
        await DerivePlanAsync(tx, subscription.CustomerId);
        return subscription;
    }

    /// <summary>
    /// Changes plan, interval or quantity (<see cref="SubscriptionChanges"/>), billing the proration at once, on the next
    /// invoice, or not at all. A preview runs the very same change in a transaction that is rolled back, so what it
    /// answers is what the change does, to the cent, given the same <c>proration_date</c>.
    /// </summary>
    public async Task<Result<SubscriptionChange>> ChangeAsync(string id, ChangeSubscriptionRequest request, Actor actor, CancellationToken ct)
    {
        Task<Result<SubscriptionChange>> Work(DbConnection connection, DbTransaction tx) => ChangeInAsync(tx, id, request, actor);
        if (request.Preview != true) return await database.InTransactionAsync(Work, ct);
        var previewed = await database.RehearseAsync(Work, ct);
        // The number is the sequence's next only if nothing else is finalized first, so a preview shows none.
        return previewed.IsOk ? previewed.Value with { Preview = true, Invoice = previewed.Value.Invoice is { } i ? i with { Number = null } : null } : previewed;
    }

    async Task<Result<SubscriptionChange>> ChangeInAsync(DbTransaction tx, string id, ChangeSubscriptionRequest request, Actor actor)
    {
        var current = await FindAsync(tx, id, forUpdate: true);
        if (current is null) return ApiError.NotFound("subscription", id);
        Clocks.BillingClock.Enter(await Clocks.BillingClock.OfCustomerAsync(tx, current.CustomerId));
        var now = clock.Now;
        var at = request.ProrationDate ?? now;
        var (plan, version) = await PlanStore.VersionInAsync(tx, request.Plan ?? current.Plan, request.Plan is null ? current.PlanVersion : null);
        if (plan is null) return ApiError.Invalid("plan", $"There is no plan '{request.Plan}'.");
        if (request.Plan is not null && plan.ArchivedAt is not null)
        {
            return new ApiError("plan_archived", StatusCodes.Status400BadRequest, $"Plan '{plan.Code}' is archived: existing subscriptions keep it, none can move to it.");
        }

        if (version is null) return new ApiError("plan_not_published", StatusCodes.Status400BadRequest, $"Plan '{plan.Code}' has no published version.");
        var currentVersion = current.Plan == version.Plan && current.PlanVersion == version.Version ? version
            : (await PlanStore.VersionInAsync(tx, current.Plan, current.PlanVersion)).Version;
        var outcome = SubscriptionChanges.Apply(current, currentVersion?.Charges ?? [], version, request, at, now);
        if (!outcome.IsOk) return outcome.Error;

        var after = outcome.Value.After;
        var lines = outcome.Value.Lines.ToList();
        if (SplitsUsage(current, after))
        {
            // The usage so far is the old plan's, billed under its charges with its share of what they include; the new
            // plan's charges take the rest of the period, with the rest of theirs (a new interval starts a new period).
            var window = new BillingPeriod(current.UsageWindow.Start, at);
            if (window.Length > TimeSpan.Zero)
            {
                var cache = new RatingCache();
                if (currentVersion is not null) cache.Versions[(current.Plan, current.PlanVersion)] = currentVersion;
                var rated = await rater.RateAsync(tx, [new UsageToRate(current, window)], cache, CancellationToken.None);
                var billedInAdvance = (await advance.BilledAsync(tx, [current])).GetValueOrDefault(current.Id);
                lines.InsertRange(0, SubscriptionInvoices.Lines(current, null, window, rated.GetValueOrDefault(current.Id) ?? [], null, billedInAdvance));
            }

            if (after.Interval == current.Interval) after = after with { UsageFrom = at };
        }

        await UpdateInAsync(tx, after);
        var scheduled = after.PendingChange is not null;
        await audit.RecordAsync(tx, actor, scheduled ? "subscription.change_scheduled" : "subscription.changed", "subscription", id, current, after, current.CustomerId);
        await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "subscription.updated", current.CustomerId, after, now);
        if (after.Plan != current.Plan || after.PlanVersion != current.PlanVersion) await DerivePlanAsync(tx, current.CustomerId);

        if (outcome.Value.BillNow)
        {
            var (invoice, credited, billed) = await BillAsync(tx, after, BillingReason.SubscriptionUpdate, lines, null, actor);
            if (billed != after) await UpdateInAsync(tx, billed);
            return new SubscriptionChange(billed, invoice, credited, [], at, false);
        }

        foreach (var line in lines) await AddPendingItemAsync(tx, after, line, now);
        return new SubscriptionChange(after, null, 0, lines, at, false);
    }

    /// <summary>Whether a change splits the period's usage: made now, outside a trial, to another plan, version or interval.</summary>
    static bool SplitsUsage(Subscription current, Subscription after) =>
        current.Status != SubscriptionStatus.Trialing && after.PendingChange is null
        && (after.Plan != current.Plan || after.PlanVersion != current.PlanVersion || after.Interval != current.Interval);

    /// <summary>
    /// Bills lines of a subscription in the caller's transaction: an invoice, finalized; or, when the lines come to less
    /// than nothing (a downgrade's credit), that credit to the customer's balance, used by its next invoices. None when
    /// there are no lines, or when the billing key was billed already. The subscription's coupon applies before tax while
    /// it lasts; a <c>once</c> coupon is spent by the first invoice it discounts (the subscription answered holds that).
    /// </summary>
    internal async Task<(Invoice? Invoice, long Credited, Subscription After)> BillAsync(
        DbTransaction tx, Subscription subscription, BillingReason reason, IReadOnlyList<InvoiceLine> lines, string? billingKey, Actor actor, TaxDecision? known = null)
    {
        var now = clock.Now;
        var (draft, credit, spent) = Draft(subscription, reason, lines, known ?? await TaxesAsync(tx, subscription.CustomerId), now);
        if (credit > 0) await CustomerBalance.RecordManyAsync(tx, [CreditEntry(subscription, credit, now)]);
        if (draft is null) return (null, credit, subscription);
        return (await invoices.IssueManyAsync(tx, [(draft, billingKey)], actor)).TryGetValue(draft.Id, out var invoice) ? (invoice, 0, spent) : (null, 0, subscription);
    }

    /// <summary>
    /// The invoice a subscription's lines make, as a draft, purely: none without lines; when they come to less than
    /// nothing, no invoice but that credit for the customer's balance, after the coupon's percent and with its tax, as
    /// what it gives back was paid (<see cref="InvoiceMath"/>). The coupon applies before tax while it lasts;
    /// a <c>once</c> coupon is spent by the first invoice it discounts (the subscription answered holds that). Whether a
    /// repeating coupon still applies is decided at <paramref name="billedAt"/>, the instant the invoice is for (a period's
    /// end, however late the run that bills it), or now.
    /// </summary>
    internal (Invoice? Draft, long Credit, Subscription After) Draft(
        Subscription subscription, BillingReason reason, IReadOnlyList<InvoiceLine> lines, TaxDecision taxes, DateTimeOffset now, DateTimeOffset? billedAt = null)
    {
        var coupon = subscription.Discount is { } held && held.AppliesAt(billedAt ?? now) ? held : null;
        var draft = SubscriptionInvoices.FromLines(subscription, reason, lines, taxes.Rates, Ids.New(Ids.Invoice, time), now, coupon?.ToDiscount());
        if (draft is null) return (null, 0, subscription);
        if (draft.Subtotal < 0)
        {
            // After the coupon and tax, as what it gives back was paid; a once coupon discounted nothing it gives back (or it was spent then).
            if (coupon is { Duration: CouponDuration.Once }) draft = SubscriptionInvoices.FromLines(subscription, reason, lines, taxes.Rates, draft.Id, now)!;
            return (null, -draft.Total, subscription);
        }

        var spent = coupon is { Duration: CouponDuration.Once } && draft.Discount > 0 ? subscription with { Discount = coupon with { Used = true } } : subscription;
        return (draft with { TaxNote = taxes.Note }, 0, spent);
    }

    /// <summary>A downgrade's unused time, credited to the customer's balance for its next invoices.</summary>
    internal CustomerBalance.Entry CreditEntry(Subscription subscription, long credit, DateTimeOffset now) =>
        new(Ids.New(CustomerBalance.TransactionPrefix, time), subscription.CustomerId, subscription.Currency, credit, $"Credit for unused time on subscription {subscription.Id}", null, now);

    /// <summary>The tax rates of the customer's invoices now: by its country and region, exemption and tax id.</summary>
    internal async Task<TaxDecision> TaxesAsync(DbTransaction tx, string customerId) =>
        Taxes((await TaxSubjectsAsync(tx, [customerId]))[customerId], await TaxRateStore.ActiveInAsync(tx));

    /// <summary>What decides the taxes of each of the customers, in one query.</summary>
    internal async Task<IReadOnlyDictionary<string, TaxSubject>> TaxSubjectsAsync(DbTransaction tx, IReadOnlyCollection<string> customers) =>
        (await tx.Connection!.QueryAsync<(string Id, string? Country, string? Region, bool TaxExempt, string? TaxId)>(
            $"SELECT id, country, region, tax_exempt, tax_id FROM customers WHERE id {database.AnyOf("customers")}", new { customers = database.ListOf(customers) }, tx))
        .ToDictionary(c => c.Id, c => new TaxSubject(c.Country, c.Region, c.TaxExempt, c.TaxId), StringComparer.Ordinal);

    internal TaxDecision Taxes(TaxSubject subject, IReadOnlyList<TaxRate> rates) => TaxRules.For(subject, rates, options.Value.Country);

    internal Task AddPendingItemAsync(DbTransaction tx, Subscription s, InvoiceLine line, DateTimeOffset now) =>
        tx.Connection!.ExecuteAsync(
            """
            INSERT INTO pending_invoice_items (id, subscription_id, kind, description, period_start, period_end, quantity, unit_amount, amount, line, created_at)
            VALUES (@id, @subscriptionId, @kind, @Description, @PeriodStart, @PeriodEnd, @quantity, @unitAmount, @Amount, @json, @now)
            """,
            new
            {
                id = Ids.New(PendingItemPrefix, time), subscriptionId = s.Id, kind = line.Detail ?? EnumText.Snake(line.Kind), line.Description,
                line.PeriodStart, line.PeriodEnd, quantity = (long)decimal.Truncate(line.Quantity), unitAmount = (long)decimal.Truncate(line.UnitAmount ?? 0), line.Amount,
                json = ApiJson.Serialize(line), now,
            }, tx);

    const string PendingItemPrefix = "ii";

    /// <summary>
    /// Each subscription's lines waiting for its next invoice (prorations, and the usage before a plan change), with
    /// their ids: one query for all. Items written before lines were kept whole are prorations.
    /// </summary>
    internal async Task<ILookup<string, (InvoiceLine Line, string Id)>> PendingItemsAsync(DbTransaction tx, IReadOnlyCollection<string> subscriptions) =>
        (await tx.Connection!.QueryAsync<(string Id, string SubscriptionId, string Kind, string Description, DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd, long Quantity, long UnitAmount, long Amount, string? Line)>(
            $"""
            SELECT id, subscription_id, kind, description, period_start, period_end, quantity, unit_amount, amount, line FROM pending_invoice_items
            WHERE subscription_id {database.AnyOf("subscriptions")} AND billed_at IS NULL ORDER BY id
            """, new { subscriptions = database.ListOf(subscriptions) }, tx))
        .ToLookup(r => r.SubscriptionId, r => (r.Line is { } json ? ApiJson.Deserialize<InvoiceLine>(json)!
            : new InvoiceLine(1, InvoiceLineKind.Proration, r.Description, r.PeriodStart, r.PeriodEnd, r.Quantity, r.UnitAmount, r.Amount, Detail: r.Kind), r.Id));

    internal static Task MarkBilledAsync(DbTransaction tx, IReadOnlyList<(string Item, string? InvoiceId)> items, DateTimeOffset now) =>
        items.Count == 0 ? Task.CompletedTask : tx.Connection!.ExecuteAsync(
            "UPDATE pending_invoice_items SET billed_at = @now, invoice_id = @InvoiceId WHERE id = @Item",
            items.Select(i => new { i.Item, i.InvoiceId, now }), tx);

    /// <summary>
    /// Cancels at the period's end: access and billing go on until then, and the invoice run ends it with the period's
    /// last invoice. Cancelling now is the invoice run's (<see cref="Runs.InvoiceRunner.CancelNowAsync"/>: it bills the
    /// period cut short). Cancelling a subscription already canceled, or already set to end, changes nothing.
    /// </summary>
    public Task<Result<Subscription>> CancelAtPeriodEndAsync(string id, CancelSubscriptionRequest request, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync<Subscription>(async (connection, tx) =>
        {
            if (CancelRefused(request) is { } refused) return refused;
            var current = await FindAsync(tx, id, forUpdate: true);
            if (current is null) return ApiError.NotFound("subscription", id);
            Clocks.BillingClock.Enter(await Clocks.BillingClock.OfCustomerAsync(tx, current.CustomerId));
            return await CancelAtPeriodEndInAsync(tx, current, request, actor);
        }, ct);

    /// <summary>Cancels at the period's end in the caller's transaction, on the billing clock the caller entered.</summary>
    internal async Task<Subscription> CancelAtPeriodEndInAsync(DbTransaction tx, Subscription current, CancelSubscriptionRequest request, Actor actor)
    {
        if (!current.GivesAccess) return await CancelInAsync(tx, current, request, actor); // no period under way to wait for
        if (current.CancelAtPeriodEnd) return current;
        var now = clock.Now;
        var scheduled = current with { CancelAtPeriodEnd = true, CanceledAt = now, CancelReason = request.Reason, UpdatedAt = now };
        await UpdateInAsync(tx, scheduled);
        await audit.RecordAsync(tx, actor, "subscription.cancel_scheduled", "subscription", current.Id, current, scheduled, current.CustomerId);
        await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "subscription.updated", current.CustomerId, scheduled, now);
        return scheduled;
    }

    /// <summary>Why a cancellation is refused as asked (a reason too long), or null.</summary>
    internal static ApiError? CancelRefused(CancelSubscriptionRequest request) =>
        request.Reason is { Length: > 500 } ? ApiError.Invalid("reason", "must be at most 500 characters.") : null;

    /// <summary>Ends a subscription with no period under way to bill (paused, incomplete) now, in the caller's transaction; a canceled one stays as it is.</summary>
    internal async Task<Subscription> CancelInAsync(DbTransaction tx, Subscription current, CancelSubscriptionRequest request, Actor actor)
    {
        if (current.Status == SubscriptionStatus.Canceled) return current;
        var now = clock.Now;
        var canceled = current with { Status = SubscriptionStatus.Canceled, CanceledAt = now, EndedAt = now, CancelReason = request.Reason, UpdatedAt = now };
        await UpdateInAsync(tx, canceled);
        await audit.RecordAsync(tx, actor, "subscription.canceled", "subscription", current.Id, current, canceled, current.CustomerId);
        await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "subscription.canceled", current.CustomerId, canceled, now);
        await DerivePlanAsync(tx, current.CustomerId);
        return canceled;
    }

    /// <summary>
    /// Sets an active subscription to pause when its period ends (the invoice run bills the period's usage, then pauses
    /// it), to resume by itself at <c>resumes_at</c> if given. Pausing now is the invoice run's (it bills the cut period).
    /// </summary>
    public Task<Result<Subscription>> SchedulePauseAsync(string id, PauseSubscriptionRequest request, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync<Subscription>(async (connection, tx) =>
        {
            var current = await FindAsync(tx, id, forUpdate: true);
            if (current is null) return ApiError.NotFound("subscription", id);
            Clocks.BillingClock.Enter(await Clocks.BillingClock.OfCustomerAsync(tx, current.CustomerId));
            if (PauseRefused(current, request, current.CurrentPeriodEnd) is { } refused) return refused;
            var scheduled = current with { PauseAtPeriodEnd = true, ResumesAt = request.ResumesAt, UpdatedAt = clock.Now };
            await UpdateInAsync(tx, scheduled);
            await audit.RecordAsync(tx, actor, "subscription.pause_scheduled", "subscription", id, current, scheduled, current.CustomerId);
            await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "subscription.updated", current.CustomerId, scheduled, clock.Now);
            return scheduled;
        }, ct);

    /// <summary>Why a subscription cannot be paused as asked (only an active one, not ending, can; it resumes after it pauses), or null.</summary>
    internal static ApiError? PauseRefused(Subscription current, PauseSubscriptionRequest request, DateTimeOffset pausesAt)
    {
        if (current.Status != SubscriptionStatus.Active || current.CancelAtPeriodEnd || current.PauseAtPeriodEnd)
        {
            var state = current.CancelAtPeriodEnd ? "set to cancel" : current.PauseAtPeriodEnd ? "set to pause already" : EnumText.Snake(current.Status);
            return ApiError.Conflict("subscription_state", $"Subscription {current.Id} is {state}; only an active subscription can be paused.");
        }

        return request.ResumesAt is { } resumes && resumes <= pausesAt ? ApiError.Invalid("resumes_at", "must be after the subscription pauses.") : null;
    }

    /// <summary>
    /// Resumes a paused subscription now: a new period from now, its price invoiced at once, access again. A pause only
    /// scheduled is called off instead.
    /// </summary>
    public Task<Result<Subscription>> ResumeAsync(string id, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync<Subscription>(async (connection, tx) =>
        {
            var current = await FindAsync(tx, id, forUpdate: true);
            if (current is null) return ApiError.NotFound("subscription", id);
            Clocks.BillingClock.Enter(await Clocks.BillingClock.OfCustomerAsync(tx, current.CustomerId));
            if (current.Status == SubscriptionStatus.Paused) return await ResumeInAsync(tx, current, clock.Now, actor);
            if (!current.PauseAtPeriodEnd || !current.GivesAccess)
            {
                return ApiError.Conflict("subscription_state", $"Subscription {id} is {EnumText.Snake(current.Status)}; only a paused subscription can resume.");
            }

            var kept = current with { PauseAtPeriodEnd = false, ResumesAt = null, UpdatedAt = clock.Now };
            await UpdateInAsync(tx, kept);
            await audit.RecordAsync(tx, actor, "subscription.pause_called_off", "subscription", id, current, kept, current.CustomerId);
            await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "subscription.updated", current.CustomerId, kept, clock.Now);
            return kept;
        }, ct);

    /// <summary>Resumes a paused subscription at <paramref name="at"/>, in the caller's transaction: a new period from then, billed in advance.</summary>
    internal async Task<Subscription> ResumeInAsync(DbTransaction tx, Subscription paused, DateTimeOffset at, Actor actor)
    {
        var period = BillingPeriod.Numbered(at, paused.Interval, 0);
        var resumed = paused.InPeriod(period) with { Status = SubscriptionStatus.Active, BillingAnchor = at, PausedAt = null, ResumesAt = null, UpdatedAt = clock.Now };
        var charges = (await PlanStore.VersionInAsync(tx, resumed.Plan, resumed.PlanVersion)).Version?.Charges ?? [];
        var billed = await BillAsync(tx, resumed, BillingReason.SubscriptionResume, SubscriptionInvoices.Lines(resumed, period, null, [], charges),
            BillingKey(resumed, period.Start, BillingReason.SubscriptionResume), actor);
        resumed = billed.After;
        await UpdateInAsync(tx, resumed);
        await audit.RecordAsync(tx, actor, "subscription.resumed", "subscription", resumed.Id, paused, resumed, resumed.CustomerId);
        await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "subscription.resumed", resumed.CustomerId, resumed, clock.Now);
        await DerivePlanAsync(tx, resumed.CustomerId);
        return resumed;
    }

    /// <summary>The paused subscriptions due to resume by <paramref name="now"/>, of the customers on <paramref name="testClock"/> or on none.</summary>
    internal async Task<IReadOnlyList<string>> ResumingAsync(DateTimeOffset now, string? testClock, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return [.. await connection.QueryAsync<string>(
            $"SELECT id FROM subscriptions WHERE status = 'paused' AND resumes_at <= @now AND {OnClock(testClock)} ORDER BY resumes_at, id LIMIT 10000",
            new { now, testClock })];
    }

    public async Task<Subscription?> GetAsync(string id, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await Database.BeginReadAsync(connection, ct);
        return await FindAsync(tx, id, forUpdate: false);
    }

    public async Task<Page<Subscription>> ListAsync(string? customerId, SubscriptionStatus? status, PageRequest page, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = (await connection.QueryAsync<Row>(
            $"""
            SELECT {Selected} FROM subscriptions
            WHERE (@Cursor IS NULL OR id < @Cursor) AND (@customerId IS NULL OR customer_id = @customerId) AND (@status IS NULL OR status = @status)
            ORDER BY id DESC
            LIMIT @Take
            """,
            new { page.Cursor, customerId, status = status is { } s ? EnumText.Snake(s) : null, Take = page.Size + 1 })).Select(r => r.ToSubscription()).ToList();
        return Page<Subscription>.From(rows, page.Size, s => s.Id);
    }

    /// <summary>
    /// The ids of subscriptions whose period has ended by <paramref name="now"/> (a paid period's end, by its invoice's
    /// grace for late usage before it: <see cref="BillingOptions.InvoiceGrace"/>), oldest end first: what an invoice run
    /// bills, of the customers on <paramref name="testClock"/>, or with none, of the customers on no test clock.
    /// </summary>
    public async Task<IReadOnlyList<string>> DueAsync(DateTimeOffset now, string? testClock, int limit, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return [.. await connection.QueryAsync<string>(
            $"""
            SELECT id FROM subscriptions
            WHERE status IN ('trialing', 'active', 'past_due') AND {OnClock(testClock)} AND current_period_end <= @now
              AND (status = 'trialing' OR current_period_end <= @graced)
            ORDER BY current_period_end, id
            LIMIT @limit
            """, new { now, graced = now - options.Value.InvoiceGrace, testClock, limit })];
    }

    /// <summary>Whether the subscription's period is due to be billed at <paramref name="now"/>: ended, and past its grace unless a trial.</summary>
    internal bool IsDue(Subscription s, DateTimeOffset now) =>
        s.GivesAccess && s.CurrentPeriodEnd <= (s.Status == SubscriptionStatus.Trialing ? now : now - options.Value.InvoiceGrace);

    /// <summary>The ids of subscriptions still incomplete that were created by <paramref name="before"/>, of one test clock or of none.</summary>
    public async Task<IReadOnlyList<string>> IncompleteSinceAsync(DateTimeOffset before, string? testClock, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return [.. await connection.QueryAsync<string>(
            $"SELECT id FROM subscriptions WHERE status = 'incomplete' AND created_at <= @before AND {OnClock(testClock)} ORDER BY created_at, id LIMIT 10000",
            new { before, testClock })];
    }

    /// <summary>The condition on a table's <c>test_clock_id</c> that keeps the rows of one test clock, or of none.</summary>
    internal static string OnClock(string? testClock) => testClock is null ? "test_clock_id IS NULL" : "test_clock_id = @testClock";

    internal async Task<Subscription?> FindAsync(DbTransaction tx, string id, bool forUpdate) =>
        (await tx.Connection!.QuerySingleOrDefaultAsync<Row>(
            $"SELECT {Selected} FROM subscriptions WHERE id = @id{(forUpdate ? database.ForUpdate : "")}", new { id }, tx))?.ToSubscription();

    /// <summary>Many subscriptions in one query, locked for the caller's transaction on PostgreSQL.</summary>
    internal async Task<IReadOnlyList<Subscription>> FindManyAsync(DbTransaction tx, IReadOnlyCollection<string> ids) =>
        [.. (await tx.Connection!.QueryAsync<Row>(
            $"SELECT {Selected} FROM subscriptions WHERE id {database.AnyOf("ids")} ORDER BY id{database.ForUpdate}", new { ids = database.ListOf(ids) }, tx)).Select(r => r.ToSubscription())];

    internal static Task UpdateInAsync(DbTransaction tx, Subscription s) => UpdateManyAsync(tx, [s]);

    /// <summary>Saves many subscriptions' changed state in one statement's worth of work.</summary>
    internal static Task UpdateManyAsync(DbTransaction tx, IReadOnlyList<Subscription> subscriptions) =>
        BulkUpdate.UpdateAsync(tx.Connection!, tx, "subscriptions", Saved, subscriptions, CancellationToken.None);

    /// <summary>The key, then what a change of a subscription may set.</summary>
    static readonly IReadOnlyList<BulkColumn<Subscription>> Saved =
    [
        BulkColumn<Subscription>.Text("id", s => s.Id),
        BulkColumn<Subscription>.Text("plan_code", s => s.Plan),
        BulkColumn<Subscription>.Int("plan_version", s => s.PlanVersion),
        BulkColumn<Subscription>.Text("billing_interval", s => EnumText.Snake(s.Interval)),
        BulkColumn<Subscription>.Text("currency", s => s.Currency),
        BulkColumn<Subscription>.Long("quantity", s => s.Quantity),
        BulkColumn<Subscription>.Long("unit_amount", s => s.UnitAmount),
        BulkColumn<Subscription>.Text("status", s => EnumText.Snake(s.Status)),
        BulkColumn<Subscription>.Timestamp("billing_anchor", s => s.BillingAnchor),
        BulkColumn<Subscription>.Timestamp("current_period_start", s => s.CurrentPeriodStart),
        BulkColumn<Subscription>.Timestamp("current_period_end", s => s.CurrentPeriodEnd),
        BulkColumn<Subscription>.NullableTimestamp("trial_end", s => s.TrialEnd),
        BulkColumn<Subscription>.Bool("cancel_at_period_end", s => s.CancelAtPeriodEnd),
        BulkColumn<Subscription>.Text("cancel_reason", s => s.CancelReason),
        BulkColumn<Subscription>.NullableTimestamp("canceled_at", s => s.CanceledAt),
        BulkColumn<Subscription>.NullableTimestamp("ended_at", s => s.EndedAt),
        BulkColumn<Subscription>.Text("pending_change", s => s.PendingChange is null ? null : ApiJson.Serialize(s.PendingChange)),
        BulkColumn<Subscription>.Text("discount", s => s.Discount is null ? null : ApiJson.Serialize(s.Discount)),
        BulkColumn<Subscription>.Timestamp("updated_at", s => s.UpdatedAt),
        BulkColumn<Subscription>.Bool("pause_at_period_end", s => s.PauseAtPeriodEnd),
        BulkColumn<Subscription>.NullableTimestamp("paused_at", s => s.PausedAt),
        BulkColumn<Subscription>.NullableTimestamp("resumes_at", s => s.ResumesAt),
        BulkColumn<Subscription>.NullableTimestamp("usage_from", s => s.UsageFrom),
    ];

    /// <summary>
    /// Sets the customer's plan (and the pinned version) from its subscriptions: the newest that gives access; none
    /// leaves the customer on no plan. Announced to every node's caches with the commit.
    /// </summary>
    internal async Task DerivePlanAsync(DbTransaction tx, string customerId)
    {
        var connection = tx.Connection!;
        var current = await connection.QueryFirstOrDefaultAsync<(string Plan, long Version)?>(
            """
            SELECT plan_code, plan_version FROM subscriptions
            WHERE customer_id = @customerId AND status IN ('trialing', 'active', 'past_due')
            ORDER BY id DESC
            LIMIT 1
            """, new { customerId }, tx);
        var now = clock.Now;
        if (!await Customers.CustomerPlans.RecordAsync(tx, customerId, current?.Plan, (int?)current?.Version, now)) return;
        await connection.ExecuteAsync(
            "UPDATE customers SET plan_code = @plan, plan_version = @version, updated_at = @now WHERE id = @customerId",
            new { plan = current?.Plan, version = current?.Version, now, customerId }, tx);
        changes.Publish(ChangeKind.Customer, customerId); // sent with the commit (TransactionChanges)
    }

    /// <summary>What makes an invoice of a subscription unique: its period and why it was made.</summary>
    internal static string BillingKey(Subscription s, DateTimeOffset periodStart, BillingReason reason) =>
        $"{s.Id}:{periodStart.UtcTicks}:{EnumText.Snake(reason)}";

    static object Parameters(Subscription s) => new
    {
        s.Id, s.CustomerId, s.Plan, s.PlanVersion, interval = EnumText.Snake(s.Interval), s.Currency, s.Quantity, s.UnitAmount, status = EnumText.Snake(s.Status),
        s.BillingAnchor, s.CurrentPeriodStart, s.CurrentPeriodEnd, s.TrialEnd, s.CancelAtPeriodEnd, s.CancelReason, s.CanceledAt, s.EndedAt, s.CreatedAt, s.UpdatedAt, s.TestClockId,
        pendingChange = s.PendingChange is null ? null : ApiJson.Serialize(s.PendingChange),
        discount = s.Discount is null ? null : ApiJson.Serialize(s.Discount),
    };

    sealed class Row
    {
        public string Id { get; init; } = "";
        public string CustomerId { get; init; } = "";
        public string PlanCode { get; init; } = "";
        public long PlanVersion { get; init; }
        public string BillingInterval { get; init; } = "";
        public string Currency { get; init; } = "";
        public long Quantity { get; init; }
        public long UnitAmount { get; init; }
        public string Status { get; init; } = "";
        public DateTimeOffset BillingAnchor { get; init; }
        public DateTimeOffset CurrentPeriodStart { get; init; }
        public DateTimeOffset CurrentPeriodEnd { get; init; }
        public DateTimeOffset? TrialEnd { get; init; }
        public bool CancelAtPeriodEnd { get; init; }
        public string? CancelReason { get; init; }
        public DateTimeOffset? CanceledAt { get; init; }
        public DateTimeOffset? EndedAt { get; init; }
        public string? PendingChange { get; init; }
        public string? Discount { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }
        public string? TestClockId { get; init; }
        public bool PauseAtPeriodEnd { get; init; }
        public DateTimeOffset? PausedAt { get; init; }
        public DateTimeOffset? ResumesAt { get; init; }
        public DateTimeOffset? UsageFrom { get; init; }

        public Subscription ToSubscription() => new()
        {
            Id = Id, CustomerId = CustomerId, Plan = PlanCode, PlanVersion = (int)PlanVersion, Interval = EnumText.Parse<BillingInterval>(BillingInterval),
            Currency = Currency, Quantity = Quantity, UnitAmount = UnitAmount, Status = EnumText.Parse<SubscriptionStatus>(Status), BillingAnchor = BillingAnchor,
            CurrentPeriodStart = CurrentPeriodStart, CurrentPeriodEnd = CurrentPeriodEnd, TrialEnd = TrialEnd, CancelAtPeriodEnd = CancelAtPeriodEnd,
            CancelReason = CancelReason, CanceledAt = CanceledAt, EndedAt = EndedAt, CreatedAt = CreatedAt, UpdatedAt = UpdatedAt, TestClockId = TestClockId,
            PauseAtPeriodEnd = PauseAtPeriodEnd, PausedAt = PausedAt, ResumesAt = ResumesAt, UsageFrom = UsageFrom,
            PendingChange = PendingChange is null ? null : ApiJson.Deserialize<ScheduledChange>(PendingChange),
            Discount = Discount is null ? null : ApiJson.Deserialize<AppliedCoupon>(Discount),
        };
    }
}
