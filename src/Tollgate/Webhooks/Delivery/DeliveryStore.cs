using System.Data.Common;
using Dapper;
using Tollgate.Common;
using Tollgate.Storage;
using Tollgate.Webhooks.Endpoints;

namespace Tollgate.Webhooks.Delivery;

/// <summary>One message due to one endpoint, claimed by this node for one attempt, with what the attempt needs.</summary>
public sealed record DueDelivery(string Id, int Attempts, string MessageId, string Type, string? CustomerId, string Payload, DateTimeOffset CreatedAt, WebhookEndpoint Endpoint)
{
    /// <summary>The claim's own token: only its holder moves the delivery, so a record that comes after the lease ran out and another claim began changes nothing.</summary>
    public string LeaseToken { get; init; } = "";
}

/// <summary>
/// What one fan-out did: whether events may remain; the deliveries it leased for sending; the endpoints it left
/// deliveries due to for a claim (their share was full); and those whose full shares stopped it (it goes on when one has room).
/// </summary>
public sealed record FannedOut(bool More, IReadOnlyList<DueDelivery> Claimed, IReadOnlyCollection<string> Unclaimed, IReadOnlyCollection<string> Blocked)
{
    public static readonly FannedOut None = new(false, [], [], []);
}

/// <summary>An attempt made, to record with what it makes of its delivery: its status and when it is tried next (null: never).</summary>
public sealed record RecordedAttempt(DueDelivery Delivery, AttemptOutcome Outcome, WebhookAttempt Attempt, string Status, DateTimeOffset? NextAttemptAt);

/// <summary>One attempt to deliver a message, as the log keeps it.</summary>
public sealed record WebhookAttempt(
    string Id, string DeliveryId, string EndpointId, string MessageId, string NodeId, DateTimeOffset AttemptedAt, int? StatusCode, int LatencyMs, bool Succeeded, string? ResponseExcerpt,
    string? Error);

/// <summary>
/// The rows of deliveries (one message to one endpoint: <c>pending</c>, <c>succeeded</c>, <c>failed</c> once its retries
/// ran out, <c>canceled</c> when its endpoint was disabled or deleted) and of their attempts. A node claims due
/// deliveries with a lease (on PostgreSQL skipping rows another node holds), so no two nodes make the same attempt;
/// a lease left by a node that died runs out and the delivery is claimed again: at least once.
/// </summary>
public sealed class DeliveryStore(Database database)
{
    public const string DeliveryPrefix = "wd";
    public const string AttemptPrefix = "wa";

    /// <summary>
    /// Turns up to <paramref name="take"/> events not yet fanned out into a delivery for each endpoint that hears it,
    /// due now, and marks them fanned out, in one transaction. Deliveries that fit in <paramref name="shares"/> are
    /// leased to the claim <paramref name="owner"/> until <paramref name="until"/> and returned ready to send (the
    /// event in hand: no claim and no read of it again); the others wait, due, for a claim. It stops once no endpoint
    /// has room, so that what saturated endpoints cannot take yet waits in the outbox, not as deliveries made only to be
    /// claimed later (while any endpoint has room it goes on: a slow endpoint delays no other).
    /// </summary>
    public async Task<FannedOut> FanOutAsync(int take, Shares shares, string owner, TimeSpan lease, TimeProvider time, CancellationToken ct) =>
        await database.InTransactionAsync(async (connection, tx) =>
        {
            // Timed once the transaction has its turn (SQLite's writers queue): the lease starts when the claim does.
            var now = time.GetUtcNow();
            var until = now + lease;
            var skipLocked = database.Kind == DatabaseKind.Postgres ? " FOR UPDATE SKIP LOCKED" : "";
            var events = (await connection.QueryAsync<DueRow>(
                $"SELECT id AS message_id, type, customer_id, payload, created_at FROM outbox WHERE delivered_at IS NULL ORDER BY created_at LIMIT @take{skipLocked}",
                new { take }, tx)).ToList();
            if (events.Count == 0) return FannedOut.None;
            var endpoints = await WebhookEndpointStore.EnabledAsync(connection, tx);
            var room = shares.Copy();
            var rows = new List<NewDelivery>();
            var claimed = new List<DueDelivery>();
            var unclaimed = new HashSet<string>(StringComparer.Ordinal);
            var taken = new List<string>(events.Count);
            IReadOnlyCollection<string> blocked = [];
            foreach (var e in events)
            {
                var hearers = endpoints.Where(endpoint => endpoint.Hears(e.Type, e.CustomerId)).ToList();
                if (hearers.Count > 0 && (room.Room == 0 || endpoints.All(h => room.Left(h.Id) == 0)))
                {
                    // Nothing at all could be sent now: the rest waits in the outbox, not as deliveries to claim later.
                    blocked = [.. endpoints.Select(h => h.Id)];
                    break;
                }

                taken.Add(e.MessageId);
                foreach (var endpoint in hearers)
                {
                    var leased = room.TryTake(endpoint.Id);
                    var row = new NewDelivery(Ids.New(DeliveryPrefix, time), e.MessageId, endpoint.Id, now) { LeaseOwner = leased ? owner : null, LeaseUntil = leased ? until : null };
                    rows.Add(row);
                    if (leased) claimed.Add(new DueDelivery(row.Id, 0, e.MessageId, e.Type, e.CustomerId, e.Payload, e.CreatedAt, endpoint) { LeaseToken = owner });
                    else unclaimed.Add(endpoint.Id);
                }
            }

            if (taken.Count == 0) return new FannedOut(true, [], [], blocked);
            // A delivery a replay made first stays as it is (its own lease, or due for a claim): only those inserted here are sent from here.
            var inserted = await BulkInsert.InsertNewReturningAsync(connection, tx, "webhook_deliveries", "endpoint_id, message_id", NewDelivery.Columns, rows, ("id", r => r.Id), ct);
            await connection.ExecuteAsync($"UPDATE outbox SET delivered_at = @now WHERE id {database.AnyOf("ids")}", new { now, ids = database.ListOf(taken) }, tx);
            return new FannedOut(blocked.Count > 0 || events.Count == take, [.. claimed.Where(d => inserted.Contains(d.Id))], unclaimed, blocked);
        }, ct);

    /// <summary>
    /// Leases due deliveries of enabled endpoints to the claim <paramref name="owner"/> until <paramref name="until"/>,
    /// as many as <paramref name="shares"/> has room for, in all and to each endpoint, oldest due first.
    /// </summary>
    public async Task<IReadOnlyList<DueDelivery>> ClaimAsync(string owner, Shares shares, TimeSpan lease, TimeProvider time, CancellationToken ct)
    {
        if (shares.Room == 0) return [];
        var parameters = new DynamicParameters(new { owner, take = shares.Room, share = shares.PerEndpoint, scan = shares.Room * 4, full = database.ListOf(shares.Full) });
        // An endpoint with attempts in flight gets what is left of its share; the others a whole share each.
        var partial = new System.Text.StringBuilder();
        foreach (var group in shares.Partial)
        {
            partial.Append($" WHEN endpoint_id {database.AnyOf($"left{group.Key}")} THEN {group.Key}");
            parameters.Add($"left{group.Key}", database.ListOf(group));
        }

        var limit = partial.Length == 0 ? "@share" : $"CASE{partial} ELSE @share END";
        var claimed = await database.InTransactionAsync(async (connection, tx) =>
        {
            // Timed once the transaction has its turn (SQLite's writers queue): the lease starts when the claim does.
            var now = time.GetUtcNow();
            parameters.Add("now", now);
            parameters.Add("until", now + lease);
            var skipLocked = database.Kind == DatabaseKind.Postgres ? " FOR UPDATE SKIP LOCKED" : "";
            return (await connection.QueryAsync<string>(
                $"""
                UPDATE webhook_deliveries SET lease_owner = @owner, lease_until = @until, updated_at = @now
                WHERE id IN (
                    SELECT id FROM (
                        SELECT id, endpoint_id, next_attempt_at, ROW_NUMBER() OVER (PARTITION BY endpoint_id ORDER BY next_attempt_at) AS place
                        FROM (
                            SELECT id, endpoint_id, next_attempt_at FROM webhook_deliveries
                            WHERE status = 'pending' AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until < @now) AND NOT (endpoint_id {database.AnyOf("full")})
                              AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE status = 'enabled' AND deleted_at IS NULL)
                            ORDER BY next_attempt_at LIMIT @scan{skipLocked}) candidates
                    ) ranked
                    WHERE place <= {limit} ORDER BY next_attempt_at LIMIT @take)
                RETURNING id
                """, parameters, tx)).ToList();
        }, ct);
        if (claimed.Count == 0) return [];

        await using var connection = await database.OpenAsync(ct);
        var rows = (await connection.QueryAsync<DueRow>(
            $"""
            SELECT d.id, d.attempts, d.endpoint_id, o.id AS message_id, o.type, o.customer_id, o.payload, o.created_at
            FROM webhook_deliveries d JOIN outbox o ON o.id = d.message_id
            WHERE d.id {database.AnyOf("ids")}
            """, new { ids = database.ListOf(claimed) })).ToList();
        var endpoints = new Dictionary<string, WebhookEndpoint?>();
        var store = new WebhookEndpointStore(database);
        var due = new List<DueDelivery>(rows.Count);
        foreach (var row in rows)
        {
            if (!endpoints.TryGetValue(row.EndpointId, out var endpoint)) endpoints[row.EndpointId] = endpoint = await store.GetAsync(row.EndpointId, ct);
            if (endpoint is not null) due.Add(new DueDelivery(row.Id, row.Attempts, row.MessageId, row.Type, row.CustomerId, row.Payload, row.CreatedAt, endpoint) { LeaseToken = owner });
        }

        return due;
    }

    /// <summary>
    /// Records attempts and their deliveries' next states, in one transaction for all of them: a null next attempt
    /// ends a delivery (<c>succeeded</c> or <c>failed</c>). Only the lease's holder moves a delivery; a late answer after
    /// its lease ran out is logged and changes nothing else. <paramref name="afterMove"/> runs in the transaction for
    /// each attempt that moved its delivery (the endpoint's health).
    /// </summary>
    public Task RecordAsync(IReadOnlyList<RecordedAttempt> recorded, Func<DbTransaction, RecordedAttempt, Task> afterMove, CancellationToken ct) =>
        database.InTransactionAsync(async (connection, tx) =>
        {
            await BulkInsert.InsertNewAsync(connection, tx, "webhook_attempts", "id", AttemptColumns, [.. recorded.Select(r => r.Attempt)], ct);
            var moved = new HashSet<string>(StringComparer.Ordinal);
            // Successes, nearly all of them: one statement for each claim's.
            foreach (var claim in recorded.Where(r => r.Status == "succeeded").GroupBy(r => r.Delivery.LeaseToken))
            {
                moved.UnionWith(await connection.QueryAsync<string>(
                    $"""
                    UPDATE webhook_deliveries SET status = 'succeeded', attempts = attempts + 1, next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL, updated_at = @now
                    WHERE id {database.AnyOf("ids")} AND lease_owner = @token AND status = 'pending'
                    RETURNING id
                    """, new { ids = database.ListOf(claim.Select(r => r.Attempt.DeliveryId)), token = claim.Key, now = claim.Max(r => r.Attempt.AttemptedAt) }, tx));
            }
            // Failures, each with its own next attempt.
            var failures = recorded.Where(r => r.Status != "succeeded").ToList();
            const string Move =
                "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, next_attempt_at = $2, lease_owner = NULL, lease_until = NULL, updated_at = $3 " +
                "WHERE id = $4 AND lease_owner = $5 AND status = 'pending'";
            if (tx is Npgsql.NpgsqlTransaction postgres && failures.Count > 1)
            {
                var counts = await PostgresBatch.ExecuteEachAsync(postgres, Move,
                    [.. failures.Select(r => new object?[] { r.Status, r.NextAttemptAt, r.Attempt.AttemptedAt, r.Attempt.DeliveryId, r.Delivery.LeaseToken })], ct);
                for (var i = 0; i < failures.Count; i++)
                {
                    if (counts[i] == 1) moved.Add(failures[i].Attempt.DeliveryId);
                }
            }
            else
            {
                foreach (var r in failures)
                {
                    var count = await connection.ExecuteAsync(
                        """
                        UPDATE webhook_deliveries SET status = @Status, attempts = attempts + 1, next_attempt_at = @NextAttemptAt, lease_owner = NULL, lease_until = NULL, updated_at = @now
                        WHERE id = @id AND lease_owner = @owner AND status = 'pending'
                        """, new { r.Status, r.NextAttemptAt, now = r.Attempt.AttemptedAt, id = r.Attempt.DeliveryId, owner = r.Delivery.LeaseToken }, tx);
                    if (count == 1) moved.Add(r.Attempt.DeliveryId);
                }
            }

            // In the order the answers came: a success after a failure ends a streak, a failure after a success starts one.
            foreach (var r in recorded)
            {
                if (moved.Contains(r.Attempt.DeliveryId)) await afterMove(tx, r);
            }

            return 0;
        }, ct);

    static readonly IReadOnlyList<BulkColumn<WebhookAttempt>> AttemptColumns =
    [
        BulkColumn<WebhookAttempt>.Text("id", a => a.Id),
        BulkColumn<WebhookAttempt>.Text("delivery_id", a => a.DeliveryId),
        BulkColumn<WebhookAttempt>.Text("endpoint_id", a => a.EndpointId),
        BulkColumn<WebhookAttempt>.Text("message_id", a => a.MessageId),
        BulkColumn<WebhookAttempt>.Text("node_id", a => a.NodeId),
        BulkColumn<WebhookAttempt>.Timestamp("attempted_at", a => a.AttemptedAt),
        BulkColumn<WebhookAttempt>.NullableLong("status_code", a => a.StatusCode),
        BulkColumn<WebhookAttempt>.Int("latency_ms", a => a.LatencyMs),
        BulkColumn<WebhookAttempt>.Bool("succeeded", a => a.Succeeded),
        BulkColumn<WebhookAttempt>.Text("response_excerpt", a => a.ResponseExcerpt),
        BulkColumn<WebhookAttempt>.Text("error", a => a.Error),
    ];

    /// <summary>Drops what still waits for an endpoint that was disabled or deleted.</summary>
    public static Task DropPendingAsync(DbTransaction tx, string endpointId, DateTimeOffset now) =>
        tx.Connection!.ExecuteAsync(
            "UPDATE webhook_deliveries SET status = 'canceled', next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL, updated_at = @now WHERE endpoint_id = @endpointId AND status = 'pending'",
            new { endpointId, now }, tx);

    /// <summary>
    /// Sends the messages again: each becomes due now with its retries afresh, whether it was delivered, failed or
    /// never sent to this endpoint (an event from before it heard of it). Returns how many.
    /// </summary>
    public async Task<int> ReplayAsync(WebhookEndpoint endpoint, IReadOnlyList<string> messageIds, DateTimeOffset now, TimeProvider time, CancellationToken ct) =>
        await database.InTransactionAsync(async (connection, tx) =>
        {
            var rows = messageIds.Select(id => new NewDelivery(Ids.New(DeliveryPrefix, time), id, endpoint.Id, now)).ToList();
            await BulkInsert.UpsertAsync(tx, "webhook_deliveries", "endpoint_id, message_id", NewDelivery.Columns, rows,
                ["status", "attempts", "next_attempt_at", "lease_owner", "lease_until", "updated_at"], ct);
            return rows.Count;
        }, ct);

    /// <summary>
    /// The events from <paramref name="since"/> on that <paramref name="endpoint"/> hears, oldest first, at most
    /// <paramref name="take"/>, reading at most <see cref="MostScanned"/> events to find them; and where to go on from
    /// (the last one read's time), when there may be more.
    /// </summary>
    public async Task<(IReadOnlyList<string> Ids, DateTimeOffset? Next)> HeardSinceAsync(WebhookEndpoint endpoint, DateTimeOffset since, int take, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var events = (await connection.QueryAsync<OutboxEvent>(
            """
            SELECT id, type, customer_id, created_at FROM outbox WHERE created_at >= @since AND (@customerId IS NULL OR customer_id = @customerId)
            ORDER BY created_at, id LIMIT @scan
            """, new { since, customerId = endpoint.CustomerId, scan = MostScanned })).ToList();
        var heard = new List<string>();
        foreach (var e in events)
        {
            if (!endpoint.Events.Any(p => EventTypes.Matches(p, e.Type))) continue;
            if (heard.Count == take) return (heard, e.CreatedAt);
            heard.Add(e.Id);
        }

        return (heard, events.Count == MostScanned ? events[^1].CreatedAt : null);
    }

    const int MostScanned = 100_000;

    /// <summary>Whether the message exists and the endpoint hears it.</summary>
    public async Task<bool> HearsAsync(WebhookEndpoint endpoint, string messageId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var e = await connection.QuerySingleOrDefaultAsync<OutboxEvent>("SELECT id, type, customer_id FROM outbox WHERE id = @messageId", new { messageId });
        return e is not null && (endpoint.CustomerId is null || endpoint.CustomerId == e.CustomerId) && endpoint.Events.Any(p => EventTypes.Matches(p, e.Type));
    }

    public async Task<Page<WebhookAttempt>> AttemptsAsync(string endpointId, PageRequest page, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = (await connection.QueryAsync<AttemptRow>(
            """
            SELECT id, delivery_id, endpoint_id, message_id, node_id, attempted_at, status_code, latency_ms, succeeded, response_excerpt, error FROM webhook_attempts
            WHERE endpoint_id = @endpointId AND (@Cursor IS NULL OR id < @Cursor) ORDER BY id DESC LIMIT @take
            """, new { endpointId, page.Cursor, take = page.Size + 1 })).Select(r => r.ToAttempt()).ToList();
        return Page<WebhookAttempt>.From(rows, page.Size, a => a.Id);
    }

    /// <summary>Forgets attempts older than <paramref name="before"/>, and settled deliveries left without any; returns how many attempts.</summary>
    public async Task<int> PruneAttemptsAsync(DateTimeOffset before, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var attempts = await connection.ExecuteAsync("DELETE FROM webhook_attempts WHERE attempted_at < @before", new { before });
        // Settled deliveries whose attempts are gone: a replay of their message makes a new one.
        await connection.ExecuteAsync(
            """
            DELETE FROM webhook_deliveries WHERE status <> 'pending' AND updated_at < @before
              AND NOT EXISTS (SELECT 1 FROM webhook_attempts a WHERE a.delivery_id = webhook_deliveries.id)
            """, new { before });
        return attempts;
    }

    sealed record NewDelivery(string Id, string MessageId, string EndpointId, DateTimeOffset Now)
    {
        public string? LeaseOwner { get; init; }
        public DateTimeOffset? LeaseUntil { get; init; }

        public static readonly IReadOnlyList<BulkColumn<NewDelivery>> Columns =
        [
            BulkColumn<NewDelivery>.Text("id", d => d.Id),
            BulkColumn<NewDelivery>.Text("message_id", d => d.MessageId),
            BulkColumn<NewDelivery>.Text("endpoint_id", d => d.EndpointId),
            BulkColumn<NewDelivery>.Text("status", _ => "pending"),
            BulkColumn<NewDelivery>.Int("attempts", _ => 0),
            BulkColumn<NewDelivery>.NullableTimestamp("next_attempt_at", d => d.Now),
            BulkColumn<NewDelivery>.Text("lease_owner", d => d.LeaseOwner),
            BulkColumn<NewDelivery>.NullableTimestamp("lease_until", d => d.LeaseUntil),
            BulkColumn<NewDelivery>.Timestamp("created_at", d => d.Now),
            BulkColumn<NewDelivery>.Timestamp("updated_at", d => d.Now),
        ];
    }

    sealed class OutboxEvent
    {
        public string Id { get; init; } = "";
        public string Type { get; init; } = "";
        public string? CustomerId { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
    }

    sealed class AttemptRow
    {
        public string Id { get; init; } = "";
        public string DeliveryId { get; init; } = "";
        public string EndpointId { get; init; } = "";
        public string MessageId { get; init; } = "";
        public string NodeId { get; init; } = "";
        public DateTimeOffset AttemptedAt { get; init; }
        public int? StatusCode { get; init; }
        public int LatencyMs { get; init; }
        public bool Succeeded { get; init; }
        public string? ResponseExcerpt { get; init; }
        public string? Error { get; init; }

        public WebhookAttempt ToAttempt() => new(Id, DeliveryId, EndpointId, MessageId, NodeId, AttemptedAt, StatusCode, LatencyMs, Succeeded, ResponseExcerpt, Error);
    }

    sealed class DueRow
    {
        public string Id { get; init; } = "";
        public int Attempts { get; init; }
        public string EndpointId { get; init; } = "";
        public string MessageId { get; init; } = "";
        public string Type { get; init; } = "";
        public string? CustomerId { get; init; }
        public string Payload { get; init; } = "";
        public DateTimeOffset CreatedAt { get; init; }
    }
}
