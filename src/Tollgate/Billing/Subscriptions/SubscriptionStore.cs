using System.Data.Common;
using Dapper;
using Tollgate.Audit;
using Tollgate.Billing.Balances;
using Tollgate.Billing.Coupons;
using Tollgate.Billing.Taxes;
using Tollgate.Billing.Invoices;
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
    Database database, InvoiceStore invoices, CouponStore coupons, AuditLog audit, ChangeFeed changes, Microsoft.Extensions.Options.IOptions<BillingOptions> options, Clocks.BillingClock clock, TimeProvider time)
{
    const string Columns =
        "id, customer_id, plan_code, plan_version, billing_interval, currency, quantity, unit_amount, status, billing_anchor, current_period_start, " +
        "current_period_end, trial_end, cancel_at_period_end, cancel_reason, canceled_at, ended_at, pending_change, discount, created_at, updated_at";

    public Task<Result<Subscription>> CreateAsync(CreateSubscriptionRequest request, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync<Subscription>(async (connection, tx) =>
        {
            var currency = request.CustomerId is null ? null : await connection.ExecuteScalarAsync<string?>(
                $"SELECT currency FROM customers WHERE id = @id AND deleted_at IS NULL{database.ForUpdate}", new { id = request.CustomerId }, tx);
            if (currency is null) return ApiError.Invalid("customer_id", $"There is no customer '{request.CustomerId}'.");
            var (plan, version) = request.Plan is null ? (null, null) : await PlanStore.VersionInAsync(tx, request.Plan, null);
            if (plan is null || plan.ArchivedAt is not null) return ApiError.Invalid("plan", $"There is no active plan '{request.Plan}'.");
            if (version is null) return new ApiError("plan_not_published", StatusCodes.Status400BadRequest, $"Plan '{plan.Code}' has no published version to subscribe to.");
            Clocks.BillingClock.Enter(await Clocks.BillingClock.OfCustomerAsync(tx, request.CustomerId!));
            var now = clock.Now;
            var made = SubscriptionRules.ForCreate(request, version, currency, Ids.New(Ids.Subscription, time), now);
            if (!made.IsOk) return made;
            var subscription = made.Value;
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
                        (SELECT test_clock_id FROM customers WHERE id = @CustomerId))
                """,
                Parameters(subscription), tx);
            await audit.RecordAsync(tx, actor, "subscription.created", "subscription", subscription.Id, null, subscription, subscription.CustomerId);
            await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "subscription.created", subscription.CustomerId, subscription, now);
            await DerivePlanAsync(tx, subscription.CustomerId);

            if (subscription.Status == SubscriptionStatus.Active)
            {
                var billed = await BillAsync(tx, subscription, BillingReason.SubscriptionCreate, SubscriptionInvoices.Lines(subscription, subscription.CurrentPeriod, null, []),
                    BillingKey(subscription, subscription.CurrentPeriodStart, BillingReason.SubscriptionCreate), actor);
                if (billed.After != subscription) await UpdateInAsync(tx, subscription = billed.After);
            }

            return subscription;
        }, ct);

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
        var outcome = SubscriptionChanges.Apply(current, version, request, at, now);
        if (!outcome.IsOk) return outcome.Error;

        var after = outcome.Value.After;
        await UpdateInAsync(tx, after);
        var scheduled = after.PendingChange is not null;
        await audit.RecordAsync(tx, actor, scheduled ? "subscription.change_scheduled" : "subscription.changed", "subscription", id, current, after, current.CustomerId);
        await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "subscription.updated", current.CustomerId, after, now);
        if (after.Plan != current.Plan || after.PlanVersion != current.PlanVersion) await DerivePlanAsync(tx, current.CustomerId);

        var lines = outcome.Value.Lines;
        if (outcome.Value.BillNow)
        {
            var (invoice, credited, billed) = await BillAsync(tx, after, BillingReason.SubscriptionUpdate, lines, null, actor);
            if (billed != after) await UpdateInAsync(tx, billed);
            return new SubscriptionChange(billed, invoice, credited, [], at, false);
        }

        foreach (var line in lines) await AddPendingItemAsync(tx, after, line, now);
        return new SubscriptionChange(after, null, 0, lines, at, false);
    }

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
        var taxes = known ?? await TaxesAsync(tx, subscription.CustomerId);
        var coupon = subscription.Discount is { } held && held.AppliesAt(now) ? held : null;
        var draft = SubscriptionInvoices.FromLines(subscription, reason, lines, taxes.Rates, Ids.New(Ids.Invoice, time), now, coupon?.ToDiscount());
        if (draft is null) return (null, 0, subscription);
        draft = draft with { TaxNote = taxes.Note };
        if (draft.Subtotal < 0)
        {
            await CustomerBalance.RecordAsync(tx, Ids.New(CustomerBalance.TransactionPrefix, time), subscription.CustomerId, subscription.Currency, -draft.Subtotal,
                $"Credit for unused time on subscription {subscription.Id}", null, now);
            return (null, -draft.Subtotal, subscription);
        }

        if (!await InvoiceStore.InsertAsync(tx, draft, billingKey)) return (null, 0, subscription);
        await invoices.CreatedInAsync(tx, draft, actor);
        var spent = coupon is { Duration: CouponDuration.Once } && draft.Discount > 0 ? subscription with { Discount = coupon with { Used = true } } : subscription;
        return (await invoices.FinalizeInAsync(tx, draft, actor), 0, spent);
    }

    /// <summary>The tax rates of the customer's invoices now: by its country and region, exemption and tax id.</summary>
    internal async Task<TaxDecision> TaxesAsync(DbTransaction tx, string customerId)
    {
        var subject = await tx.Connection!.QuerySingleAsync<(string? Country, string? Region, bool TaxExempt, string? TaxId)>(
            "SELECT country, region, tax_exempt, tax_id FROM customers WHERE id = @customerId", new { customerId }, tx);
        return TaxRules.For(new TaxSubject(subject.Country, subject.Region, subject.TaxExempt, subject.TaxId), await TaxRateStore.ActiveInAsync(tx), options.Value.Country);
    }

    Task AddPendingItemAsync(DbTransaction tx, Subscription s, InvoiceLine line, DateTimeOffset now) =>
        tx.Connection!.ExecuteAsync(
            """
            INSERT INTO pending_invoice_items (id, subscription_id, kind, description, period_start, period_end, quantity, unit_amount, amount, created_at)
            VALUES (@id, @subscriptionId, @kind, @Description, @PeriodStart, @PeriodEnd, @quantity, @unitAmount, @Amount, @now)
            """,
            new
            {
                id = Ids.New(PendingItemPrefix, time), subscriptionId = s.Id, kind = line.Detail ?? EnumText.Snake(line.Kind), line.Description,
                line.PeriodStart, line.PeriodEnd, quantity = (long)line.Quantity, unitAmount = (long)(line.UnitAmount ?? 0), line.Amount, now,
            }, tx);

    const string PendingItemPrefix = "ii";

    /// <summary>The subscription's prorations waiting for its next invoice, as lines, and their ids.</summary>
    internal static async Task<(List<InvoiceLine> Lines, List<string> Ids)> PendingItemsAsync(DbTransaction tx, string subscriptionId)
    {
        var rows = (await tx.Connection!.QueryAsync<(string Id, string Kind, string Description, DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd, long Quantity, long UnitAmount, long Amount)>(
            """
            SELECT id, kind, description, period_start, period_end, quantity, unit_amount, amount FROM pending_invoice_items
            WHERE subscription_id = @subscriptionId AND billed_at IS NULL ORDER BY id
            """, new { subscriptionId }, tx)).ToList();
        return ([.. rows.Select(r => new InvoiceLine(1, InvoiceLineKind.Proration, r.Description, r.PeriodStart, r.PeriodEnd, r.Quantity, r.UnitAmount, r.Amount, Detail: r.Kind))],
            [.. rows.Select(r => r.Id)]);
    }

    internal static Task MarkBilledAsync(DbTransaction tx, IReadOnlyList<string> items, string? invoiceId, DateTimeOffset now) =>
        items.Count == 0 ? Task.CompletedTask : tx.Connection!.ExecuteAsync(
            "UPDATE pending_invoice_items SET billed_at = @now, invoice_id = @invoiceId WHERE id = @id",
            items.Select(id => new { id, invoiceId, now }), tx);

    /// <summary>
    /// Cancels now (access ends at once) or at the period's end (access and billing go on until then; the invoice run
    /// ends it). Cancelling a subscription already canceled, or already set to end, changes nothing.
    /// </summary>
    public Task<Result<Subscription>> CancelAsync(string id, CancelSubscriptionRequest request, Actor actor, CancellationToken ct) =>
        database.InTransactionAsync<Subscription>(async (connection, tx) =>
        {
            if (request.Reason is { Length: > 500 }) return ApiError.Invalid("reason", "must be at most 500 characters.");
            var current = await FindAsync(tx, id, forUpdate: true);
            if (current is null) return ApiError.NotFound("subscription", id);
            if (current.Status == SubscriptionStatus.Canceled) return current;
            Clocks.BillingClock.Enter(await Clocks.BillingClock.OfCustomerAsync(tx, current.CustomerId));
            var now = clock.Now;
            var atOnce = (request.At ?? CancelTiming.PeriodEnd) == CancelTiming.Now;
            if (!atOnce && current.CancelAtPeriodEnd) return current;
            var canceled = atOnce
                ? current with { Status = SubscriptionStatus.Canceled, CanceledAt = now, EndedAt = now, CancelReason = request.Reason, UpdatedAt = now }
                : current with { CancelAtPeriodEnd = true, CanceledAt = now, CancelReason = request.Reason, UpdatedAt = now };
            await UpdateInAsync(tx, canceled);
            await audit.RecordAsync(tx, actor, atOnce ? "subscription.canceled" : "subscription.cancel_scheduled", "subscription", id, current, canceled, current.CustomerId);
            await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), atOnce ? "subscription.canceled" : "subscription.updated", current.CustomerId, canceled, now);
            if (atOnce) await DerivePlanAsync(tx, current.CustomerId);
            return canceled;
        }, ct);

    public async Task<Subscription?> GetAsync(string id, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        return await FindAsync(tx, id, forUpdate: false);
    }

    public async Task<Page<Subscription>> ListAsync(string? customerId, SubscriptionStatus? status, PageRequest page, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = (await connection.QueryAsync<Row>(
            $"""
            SELECT {Columns} FROM subscriptions
            WHERE (@Cursor IS NULL OR id < @Cursor) AND (@customerId IS NULL OR customer_id = @customerId) AND (@status IS NULL OR status = @status)
            ORDER BY id DESC
            LIMIT @Take
            """,
            new { page.Cursor, customerId, status = status is { } s ? EnumText.Snake(s) : null, Take = page.Size + 1 })).Select(r => r.ToSubscription()).ToList();
        return Page<Subscription>.From(rows, page.Size, s => s.Id);
    }

    /// <summary>
    /// The ids of subscriptions whose period has ended by <paramref name="now"/>, oldest end first: what an invoice run
    /// bills, of the customers on <paramref name="testClock"/>, or with none, of the customers on no test clock.
    /// </summary>
    public async Task<IReadOnlyList<string>> DueAsync(DateTimeOffset now, string? testClock, int limit, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return [.. await connection.QueryAsync<string>(
            $"""
            SELECT id FROM subscriptions
            WHERE current_period_end <= @now AND status IN ('trialing', 'active', 'past_due') AND {OnClock(testClock)}
            ORDER BY current_period_end, id
            LIMIT @limit
            """, new { now, testClock, limit })];
    }

    /// <summary>The condition on a table's <c>test_clock_id</c> that keeps the rows of one test clock, or of none.</summary>
    internal static string OnClock(string? testClock) => testClock is null ? "test_clock_id IS NULL" : "test_clock_id = @testClock";

    internal async Task<Subscription?> FindAsync(DbTransaction tx, string id, bool forUpdate) =>
        (await tx.Connection!.QuerySingleOrDefaultAsync<Row>(
            $"SELECT {Columns} FROM subscriptions WHERE id = @id{(forUpdate ? database.ForUpdate : "")}", new { id }, tx))?.ToSubscription();

    internal static Task UpdateInAsync(DbTransaction tx, Subscription s) =>
        tx.Connection!.ExecuteAsync(
            """
            UPDATE subscriptions SET plan_code = @Plan, plan_version = @PlanVersion, billing_interval = @interval, currency = @Currency, quantity = @Quantity,
                unit_amount = @UnitAmount, status = @status, billing_anchor = @BillingAnchor, current_period_start = @CurrentPeriodStart,
                current_period_end = @CurrentPeriodEnd, trial_end = @TrialEnd, cancel_at_period_end = @CancelAtPeriodEnd, cancel_reason = @CancelReason,
                canceled_at = @CanceledAt, ended_at = @EndedAt, pending_change = @pendingChange, discount = @discount, updated_at = @UpdatedAt
            WHERE id = @Id
            """,
            Parameters(s), tx);

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
        await connection.ExecuteAsync(
            "UPDATE customers SET plan_code = @plan, plan_version = @version, updated_at = @now WHERE id = @customerId",
            new { plan = current?.Plan, version = current?.Version, now = clock.Now, customerId }, tx);
        changes.Publish(ChangeKind.Customer, customerId); // sent with the commit (TransactionChanges)
    }

    /// <summary>What makes an invoice of a subscription unique: its period and why it was made.</summary>
    internal static string BillingKey(Subscription s, DateTimeOffset periodStart, BillingReason reason) =>
        $"{s.Id}:{periodStart.UtcTicks}:{EnumText.Snake(reason)}";

    static object Parameters(Subscription s) => new
    {
        s.Id, s.CustomerId, s.Plan, s.PlanVersion, interval = EnumText.Snake(s.Interval), s.Currency, s.Quantity, s.UnitAmount, status = EnumText.Snake(s.Status),
        s.BillingAnchor, s.CurrentPeriodStart, s.CurrentPeriodEnd, s.TrialEnd, s.CancelAtPeriodEnd, s.CancelReason, s.CanceledAt, s.EndedAt, s.CreatedAt, s.UpdatedAt,
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

        public Subscription ToSubscription() => new()
        {
            Id = Id, CustomerId = CustomerId, Plan = PlanCode, PlanVersion = (int)PlanVersion, Interval = EnumText.Parse<BillingInterval>(BillingInterval),
            Currency = Currency, Quantity = Quantity, UnitAmount = UnitAmount, Status = EnumText.Parse<SubscriptionStatus>(Status), BillingAnchor = BillingAnchor,
            CurrentPeriodStart = CurrentPeriodStart, CurrentPeriodEnd = CurrentPeriodEnd, TrialEnd = TrialEnd, CancelAtPeriodEnd = CancelAtPeriodEnd,
            CancelReason = CancelReason, CanceledAt = CanceledAt, EndedAt = EndedAt, CreatedAt = CreatedAt, UpdatedAt = UpdatedAt,
            PendingChange = PendingChange is null ? null : ApiJson.Deserialize<ScheduledChange>(PendingChange),
            Discount = Discount is null ? null : ApiJson.Deserialize<AppliedCoupon>(Discount),
        };
    }
}
