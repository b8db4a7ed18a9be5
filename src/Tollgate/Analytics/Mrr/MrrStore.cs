using System.Text.Json;
using Dapper;
using Tollgate.Billing.Subscriptions;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Analytics.Mrr;

/// <summary>
/// The MRR projection: every subscription event of the outbox kept as a snapshot of its subscription, and each
/// customer's movements recomputed from all of its snapshots (<see cref="MrrRules"/>) in the transaction that reads
/// them. Recomputing a customer whole makes the order events arrive in irrelevant, and a replay changes nothing.
/// </summary>
public sealed class MrrStore(Database database, Microsoft.Extensions.Options.IOptions<AnalyticsOptions> options, ILogger<MrrStore> logger)
{
    /// <summary>
    /// Reads up to <paramref name="take"/> subscription events not yet read, in one transaction: their snapshots
    /// stored, their customers' movements recomputed, the events marked read. Returns how many events it read.
    /// </summary>
    public async Task<int> ProjectAsync(int take, DateTimeOffset now, CancellationToken ct) =>
        await database.InTransactionAsync(async (connection, tx) =>
        {
            // Not SKIP LOCKED: a report's catch-up waits for events another node (or the fan-out) holds, and counts them.
            var forUpdate = database.Kind == DatabaseKind.Postgres ? " FOR UPDATE" : "";
            var events = (await connection.QueryAsync<EventRow>(
                $"""
                SELECT id, type, customer_id, payload, created_at FROM outbox
                WHERE analyzed_at IS NULL AND type LIKE 'subscription.%' ORDER BY created_at LIMIT @take{forUpdate}
                """, new { take }, tx)).ToList();
            if (events.Count == 0) return 0;

            var snapshots = new List<SnapshotRow>();
            var unreadable = new List<(string Id, string Error)>();
            foreach (var e in events)
            {
                if (e.Type == "subscription.trial_will_end") continue; // carries no subscription
                try
                {
                    var subscription = ReadSnapshot(e.Payload);
                    snapshots.Add(new SnapshotRow
                    {
                        MessageId = e.Id, SubscriptionId = subscription.Id, CustomerId = subscription.CustomerId, At = EffectiveAt(subscription, e.CreatedAt), Payload = e.Payload,
                        Status = EnumText.Snake(subscription.Status), UnitAmount = subscription.UnitAmount,
                        TrialEnd = subscription.Status == SubscriptionStatus.Trialing ? subscription.TrialEnd : null,
                    });
                }
                catch (JsonException error)
                {
                    // Set aside with why, for a later version to read: never silently left out.
                    logger.LogWarning(error, "The subscription event {Message} could not be read for MRR; it is set aside with its error.", e.Id);
                    unreadable.Add((e.Id, error.Message));
                }
            }

            await BulkInsert.InsertNewAsync(connection, tx, "mrr_snapshots", "message_id", SnapshotColumns, snapshots, ct);
            var customers = snapshots.Select(s => s.CustomerId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            if (customers.Count > 0)
            {
                // Another node recomputing one of these customers waits here, then sees what this one stored. Advisory
                // locks, not the customers' rows, so billing's inserts that reference a customer never wait for them.
                if (database.Kind == DatabaseKind.Postgres)
                {
                    await connection.ExecuteAsync(
                        "SELECT pg_advisory_xact_lock(h) FROM (SELECT hashtextextended(id, 0) AS h FROM unnest(@ids) AS id ORDER BY id) ordered",
                        new { ids = customers.ToArray() }, tx);
                }

                var all = (await connection.QueryAsync<SnapshotRow>(
                    $"SELECT message_id, subscription_id, customer_id, at, payload FROM mrr_snapshots WHERE customer_id {database.AnyOf("ids")}",
                    new { ids = database.ListOf(customers) }, tx)).ToList();
                var recomputed = new List<string>();
                var movements = new List<MovementRow>();
                foreach (var customer in all.GroupBy(s => s.CustomerId, StringComparer.Ordinal))
                {
                    try
                    {
                        var made = MrrRules.Movements(
                            customer.Key, [.. customer.Select(s => new MrrSnapshot(s.MessageId, s.At, ReadSnapshot(s.Payload)))], options.Value.PastDueCountsFor);
                        movements.AddRange(made.Select(MovementRow.Of));
                        recomputed.Add(customer.Key);
                    }
                    catch (Exception error) when (error is JsonException or OverflowException)
                    {
                        // A customer whose history cannot be made keeps its movements as they were; the others go on.
                        logger.LogWarning(error, "The MRR of {Customer} could not be recomputed; its movements stay as they were.", customer.Key);
                    }
                }

                await connection.ExecuteAsync($"DELETE FROM mrr_movements WHERE customer_id {database.AnyOf("ids")}", new { ids = database.ListOf(recomputed) }, tx);
                await BulkInsert.InsertNewAsync(connection, tx, "mrr_movements", "id", MovementColumns, movements, ct);
            }

            await connection.ExecuteAsync($"UPDATE outbox SET analyzed_at = @now WHERE id {database.AnyOf("ids")}", new { now, ids = database.ListOf(events.Select(e => e.Id)) }, tx);
            foreach (var (id, error) in unreadable)
                await connection.ExecuteAsync("UPDATE outbox SET analysis_error = @error WHERE id = @id", new { id, error = error.Length > 500 ? error[..500] : error }, tx);
            return events.Count;
        }, ct);

    /// <summary>A snapshot's subscription, reading past fields a later version added (a rolling upgrade's other node writes them).</summary>
    static Subscription ReadSnapshot(string payload) =>
        JsonSerializer.Deserialize<Subscription>(payload, Lenient) ?? throw new JsonException("The event's payload is null.");

    static readonly JsonSerializerOptions Lenient = new(ApiJson.Options) { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip };

    /// <summary>
    /// When the change took effect: an ending or a pause at its own time (the invoice run records a period-end
    /// cancellation when it runs, which may be days after the period ended), anything else when it was written.
    /// </summary>
    static DateTimeOffset EffectiveAt(Subscription subscription, DateTimeOffset written) => subscription switch
    {
        { Status: SubscriptionStatus.Canceled, EndedAt: { } ended } when ended < written => ended,
        { Status: SubscriptionStatus.Paused, PausedAt: { } paused } when paused < written => paused,
        _ => written,
    };

    /// <summary>The currencies there are movements in.</summary>
    public async Task<IReadOnlyList<string>> CurrenciesAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return [.. await connection.QueryAsync<string>("SELECT DISTINCT currency FROM mrr_movements ORDER BY currency")];
    }

    /// <summary>MRR and paying customers in <paramref name="currency"/> just before <paramref name="at"/>.</summary>
    public async Task<(long Mrr, int Customers)> StandingAsync(string currency, DateTimeOffset at, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var standing = await connection.QuerySingleAsync<(long Mrr, long Customers)>(
            """
            SELECT COALESCE(SUM(mrr), 0), COUNT(*) FROM (
                SELECT customer_id, SUM(amount) AS mrr FROM mrr_movements WHERE currency = @currency AND at < @at GROUP BY customer_id
            ) standing WHERE mrr > 0
            """, new { currency, at });
        return (standing.Mrr, checked((int)standing.Customers));
    }

    /// <summary>The movements in <paramref name="currency"/> in <c>[from, to)</c>, oldest first, of one kind or all, after <paramref name="cursor"/>, at most <paramref name="take"/>.</summary>
    public async Task<IReadOnlyList<MrrMovementView>> MovementsAsync(
        string currency, DateTimeOffset from, DateTimeOffset to, MovementKind? kind, string? cursor, int take, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return [.. await connection.QueryAsync<MrrMovementView>(
            """
            SELECT id, customer_id, currency, at, kind, amount, mrr_before, mrr_after FROM mrr_movements
            WHERE currency = @currency AND at >= @from AND at < @to AND (@kind IS NULL OR kind = @kind) AND (@cursor IS NULL OR id > @cursor)
            ORDER BY id LIMIT @take
            """, new { currency, from, to, kind = kind is { } k ? EnumText.Snake(k) : null, cursor, take })];
    }

    /// <summary>Each customer's MRR in <paramref name="currency"/> just before <paramref name="at"/>, those paying only.</summary>
    public async Task<IReadOnlyDictionary<string, long>> MrrByCustomerAsync(string currency, DateTimeOffset at, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<(string CustomerId, long Mrr)>(
            "SELECT customer_id, SUM(amount) FROM mrr_movements WHERE currency = @currency AND at < @at GROUP BY customer_id HAVING SUM(amount) > 0",
            new { currency, at });
        return rows.ToDictionary(r => r.CustomerId, r => r.Mrr, StringComparer.Ordinal);
    }

    /// <summary>Every customer's MRR in each currency it had a movement in before <paramref name="at"/> (0 for one it left).</summary>
    public async Task<IReadOnlyList<Currencies.CurrencyStanding>> StandingsAsync(DateTimeOffset at, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<(string CustomerId, string Currency, long Mrr)>(
            "SELECT customer_id, currency, SUM(amount) FROM mrr_movements WHERE at < @at GROUP BY customer_id, currency", new { at });
        return [.. rows.Select(r => new Currencies.CurrencyStanding(r.CustomerId, r.Currency, r.Mrr))];
    }

    /// <summary>
    /// Every movement in <paramref name="currency"/> (in every currency when null) in <c>[from, to)</c>, oldest first,
    /// in one read along the (currency, at) index, or the (at) one.
    /// </summary>
    public async Task<IReadOnlyList<MrrMovement>> AllMovementsAsync(string? currency, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<MrrMovementView>(
            currency is null
                ? "SELECT customer_id, currency, at, kind, mrr_before, mrr_after FROM mrr_movements WHERE at >= @from AND at < @to ORDER BY at"
                : "SELECT customer_id, currency, at, kind, mrr_before, mrr_after FROM mrr_movements WHERE currency = @currency AND at >= @from AND at < @to ORDER BY at",
            new { currency, from, to });
        return [.. rows.Select(m => new MrrMovement(m.CustomerId, m.Currency, m.At, Enum.Parse<MovementKind>(m.Kind, ignoreCase: true), m.MrrBefore, m.MrrAfter))];
    }

    /// <summary>
    /// Trials that ended in <c>[from, to)</c> (a trialing snapshot's trial end), and how many of them went on to pay
    /// (a later snapshot of the same subscription active or past due, with a price).
    /// </summary>
    public async Task<(int Ended, int Converted)> TrialsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var row = await connection.QuerySingleAsync<(long Ended, long Converted)>(
            """
            SELECT COUNT(*), COALESCE(SUM(CASE WHEN EXISTS (
                       SELECT 1 FROM mrr_snapshots later WHERE later.subscription_id = t.subscription_id AND later.at >= t.trial_start
                         AND later.status IN ('active', 'past_due') AND later.unit_amount > 0) THEN 1 ELSE 0 END), 0)
            FROM (SELECT subscription_id, MIN(at) AS trial_start FROM mrr_snapshots WHERE trial_end >= @from AND trial_end < @to GROUP BY subscription_id) t
            """, new { from, to });
        return (checked((int)row.Ended), checked((int)row.Converted));
    }

    /// <summary>
    /// Customers on a free plan only (a live free subscription and no MRR) at <paramref name="from"/>, and how many of
    /// them came to pay (a <c>new</c> movement) before <paramref name="to"/>.
    /// </summary>
    /// <remarks>With <paramref name="currency"/> null, paying and coming to pay in any currency.</remarks>
    public async Task<(int Free, int Converted)> FreeAsync(string? currency, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var free = (await connection.QueryAsync<string>(
            """
            SELECT DISTINCT customer_id FROM (
                SELECT customer_id, status, unit_amount, ROW_NUMBER() OVER (PARTITION BY subscription_id ORDER BY at DESC, message_id DESC) AS latest
                FROM mrr_snapshots WHERE at < @from
            ) s WHERE latest = 1 AND unit_amount = 0 AND status IN ('active', 'past_due')
            """, new { from })).ToHashSet(StringComparer.Ordinal);
        free.ExceptWith(currency is null ? (await StandingsAsync(from, ct)).Where(s => s.Mrr > 0).Select(s => s.CustomerId) : (await MrrByCustomerAsync(currency, from, ct)).Keys);
        if (free.Count == 0) return (0, 0);
        var converted = (await AllMovementsAsync(currency, from, to, ct)).Where(m => m.Kind == MovementKind.New && free.Contains(m.CustomerId)).Select(m => m.CustomerId).Distinct().Count();
        return (free.Count, converted);
    }

    /// <summary>When each customer created in <c>[from, to)</c> signed up.</summary>
    public async Task<IReadOnlyList<DateTimeOffset>> SignupsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return [.. await connection.QueryAsync<DateTimeOffset>("SELECT created_at FROM customers WHERE created_at >= @from AND created_at < @to", new { from, to })];
    }

    /// <summary>What invoices in <paramref name="currency"/> (in every currency when null) paid in <c>[from, to)</c> collected, and when.</summary>
    public async Task<IReadOnlyList<(DateTimeOffset PaidAt, string Currency, long Amount)>> PaymentsAsync(string? currency, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return [.. await connection.QueryAsync<(DateTimeOffset, string, long)>(
            currency is null
                ? "SELECT paid_at, currency, amount_paid FROM invoices WHERE status = 'paid' AND paid_at >= @from AND paid_at < @to"
                : "SELECT paid_at, currency, amount_paid FROM invoices WHERE status = 'paid' AND currency = @currency AND paid_at >= @from AND paid_at < @to",
            new { currency, from, to })];
    }

    static readonly IReadOnlyList<BulkColumn<SnapshotRow>> SnapshotColumns =
    [
        BulkColumn<SnapshotRow>.Text("message_id", s => s.MessageId),
        BulkColumn<SnapshotRow>.Text("subscription_id", s => s.SubscriptionId),
        BulkColumn<SnapshotRow>.Text("customer_id", s => s.CustomerId),
        BulkColumn<SnapshotRow>.Timestamp("at", s => s.At),
        BulkColumn<SnapshotRow>.Text("status", s => s.Status),
        BulkColumn<SnapshotRow>.Long("unit_amount", s => s.UnitAmount),
        BulkColumn<SnapshotRow>.NullableTimestamp("trial_end", s => s.TrialEnd),
        BulkColumn<SnapshotRow>.Text("payload", s => s.Payload),
    ];

    static readonly IReadOnlyList<BulkColumn<MovementRow>> MovementColumns =
    [
        BulkColumn<MovementRow>.Text("id", m => m.Id),
        BulkColumn<MovementRow>.Text("customer_id", m => m.Movement.CustomerId),
        BulkColumn<MovementRow>.Text("currency", m => m.Movement.Currency),
        BulkColumn<MovementRow>.Timestamp("at", m => m.Movement.At),
        BulkColumn<MovementRow>.Text("kind", m => EnumText.Snake(m.Movement.Kind)),
        BulkColumn<MovementRow>.Long("amount", m => m.Movement.Amount),
        BulkColumn<MovementRow>.Long("mrr_before", m => m.Movement.MrrBefore),
        BulkColumn<MovementRow>.Long("mrr_after", m => m.Movement.MrrAfter),
    ];

    /// <summary>A movement's id sorts by its time: one customer has one movement per instant and currency.</summary>
    sealed record MovementRow(string Id, MrrMovement Movement)
    {
        public static MovementRow Of(MrrMovement m) => new($"mrm_{m.At.UtcTicks:D19}_{m.CustomerId}_{m.Currency}", m);
    }

    sealed class EventRow
    {
        public string Id { get; init; } = "";
        public string Type { get; init; } = "";
        public string? CustomerId { get; init; }
        public string Payload { get; init; } = "";
        public DateTimeOffset CreatedAt { get; init; }
    }

    sealed class SnapshotRow
    {
        public string Status { get; init; } = "";
        public long UnitAmount { get; init; }
        public DateTimeOffset? TrialEnd { get; init; }
        public string MessageId { get; init; } = "";
        public string SubscriptionId { get; init; } = "";
        public string CustomerId { get; init; } = "";
        public DateTimeOffset At { get; init; }
        public string Payload { get; init; } = "";
    }
}

/// <summary>One movement as the API lists it: the customer behind it, when, what kind, by how much, from what to what.</summary>
public sealed class MrrMovementView
{
    public string Id { get; init; } = "";
    public string CustomerId { get; init; } = "";
    public string Currency { get; init; } = "";
    public DateTimeOffset At { get; init; }
    public string Kind { get; init; } = "";
    public long Amount { get; init; }
    public long MrrBefore { get; init; }
    public long MrrAfter { get; init; }
}
