using System.Collections.Concurrent;
using System.Data.Common;
using Dapper;
using Npgsql;
using Tollgate.Common;
using Tollgate.Payments.Checkout;
using Tollgate.Payments.Ledger;
using Tollgate.Payments.Providers;
using Tollgate.Storage;

namespace Tollgate.Payments.Webhooks;

/// <summary>What an inbound webhook came to: the event's id, and <c>applied</c>, <c>unchanged</c>, <c>ignored</c> or <c>duplicate</c>.</summary>
public sealed record WebhookReceipt(bool Received, string EventId, string Type, string Outcome);

/// <summary>
/// Receives a provider's webhook (docs/payments.md, "Webhooks"): its signature checked on the raw body, then the event
/// read, then its id recorded in the same transaction as its effects. A redelivery finds its id recorded and changes
/// nothing; two deliveries at once are one, the second waiting on the first's row. A server killed before the commit
/// answered nothing, so the provider delivers again, and the event applies then, once. An event of a type Tollgate
/// does not act on is recorded and acknowledged.
/// </summary>
public sealed class WebhookReceiver(Database database, PaymentProviders providers, PaymentLedger ledger, CheckoutService checkouts, TimeProvider time)
{
    /// <summary>
    /// Events waiting for a writer. Whoever takes the writer applies every event waiting, its own among them, in one
    /// transaction (a group commit: one sync to disk for many events, where one each held SQLite to about 800 a second),
    /// and each answer waits for that commit. A batch that fails is applied again one event at a time, so one bad event
    /// holds up no other. SQLite has one writer; PostgreSQL several (two deliveries of one event in two batches: its row decides).
    /// </summary>
    readonly ConcurrentQueue<Pending> _waiting = new();
    readonly SemaphoreSlim _writers = new(database.Kind == DatabaseKind.Sqlite ? 1 : PostgresWriters);

    /// <summary>PostgreSQL commits this many batches at once: one writer's batch waits on its round trips and its sync to disk, the other's meanwhile runs (more did worse on two cores: docs/benchmarks.md).</summary>
    const int PostgresWriters = 2;
    const int MostPerCommit = 200;

    /// <summary>An event waiting, with the mode of the secret that signed it (what it makes, a payment account, is made in that mode).</summary>
    sealed record Pending(PaymentProviderName Provider, InboundEvent Event, Actor Actor, bool Test)
    {
        public TaskCompletionSource<WebhookReceipt> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public async Task<Result<WebhookReceipt>> ReceiveAsync(string providerName, IHeaderDictionary headers, byte[] body, CancellationToken ct)
    {
        if (PaymentProviderNames.Parse(providerName) is not { } name) return ApiError.NotFound("payment provider", providerName);

        // Signed with the live secrets, or with the test ones (the provider's test environment posts to the same URL):
        // which one signed it says which credentials read it.
        IPaymentProvider? provider = null;
        SignatureCheck? check = null;
        foreach (var test in (bool[])[false, true])
        {
            PaymentMode.Enter(test);
            if (providers.Find(name) is not { } inMode) continue;
            provider = inMode;
            var verified = inMode.Verify(headers, body, time.GetUtcNow());
            if (check is null || verified == SignatureCheck.Valid) check = verified;
            if (verified == SignatureCheck.Valid) break;
        }

        if (provider is null || check is null) return ApiError.NotFound("payment provider", providerName);
        if (check != SignatureCheck.Valid)
        {
            PaymentMode.Enter(false);
            return new ApiError("invalid_signature", StatusCodes.Status400BadRequest, check switch
            {
                SignatureCheck.Missing => "The request carries no signature.",
                SignatureCheck.Malformed => "The signature header is not in the provider's format.",
                SignatureCheck.Stale => "The signature's timestamp is too far from now.",
                _ => "No signature matches the body.",
            });
        }

        InboundEvent? inbound;
        try
        {
            inbound = await provider.ReadAsync(headers, body, ct);
        }
        catch (System.Text.Json.JsonException)
        {
            inbound = null;
        }
        catch (Exception e) when (e is PaymentProviderException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            // The event is genuine but its object's current state could not be read: answered 503, so the provider delivers it again.
            throw new UnavailableException("payment_provider_unavailable", $"{name.Text()} could not be asked for the event's current state: {e.Message}", e);
        }

        if (inbound is null) return new ApiError("invalid_event", StatusCodes.Status400BadRequest, "The body is signed but is not an event of the provider's.");
        var pending = new Pending(name, inbound, new Actor("payment_provider", name.Text(), inbound.EventId), PaymentMode.IsTest);
        _waiting.Enqueue(pending);
        while (!pending.Done.Task.IsCompleted)
        {
            await _writers.WaitAsync(ct);
            try
            {
                if (!pending.Done.Task.IsCompleted) await CommitWaitingAsync();
            }
            finally
            {
                _writers.Release();
            }
        }

        return await pending.Done.Task;
    }

    /// <summary>Applies what is waiting; once begun, it runs to its commit whoever left (the event is then recorded, and a redelivery is a duplicate).</summary>
    async Task CommitWaitingAsync()
    {
        var batch = new List<Pending>(MostPerCommit);
        while (batch.Count < MostPerCommit && _waiting.TryDequeue(out var next)) batch.Add(next);
        if (batch.Count == 0) return;
        try
        {
            var receipts = await database.InTransactionAsync((connection, tx) => ApplyAllAsync(tx, batch), CancellationToken.None);
            for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(receipts[i]);
        }
        catch (Exception) when (batch.Count > 1)
        {
            foreach (var p in batch)
            {
                try
                {
                    p.Done.TrySetResult((await database.InTransactionAsync((connection, tx) => ApplyAllAsync(tx, [p]), CancellationToken.None))[0]);
                }
                catch (Exception e)
                {
                    p.Done.TrySetException(e);
                }
            }
        }
        catch (Exception e)
        {
            batch[0].Done.TrySetException(e);
        }
    }

    /// <summary>
    /// Applies each event in turn in the caller's transaction, then writes what they leave for the end: their audit
    /// entries and outbox messages (<see cref="WriteBehind"/>) and their outcomes, in a few round trips for the whole
    /// batch rather than three for each event (PostgreSQL's time per event is in its round trips: docs/benchmarks.md).
    /// </summary>
    async Task<List<WebhookReceipt>> ApplyAllAsync(DbTransaction tx, IReadOnlyList<Pending> batch)
    {
        using var later = WriteBehind.Begin(tx);
        var recorded = await RecordAsync(tx, batch);
        using var ahead = await ledger.ReadAheadAsync(tx, [.. batch.Where((_, i) => recorded[i]).SelectMany(p => p.Event.Effects.Select(e => (p.Provider, e)))]);
        var receipts = new List<WebhookReceipt>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            var p = batch[i];
            PaymentMode.Enter(p.Test);
            receipts.Add(recorded[i] ? await ApplyInAsync(tx, p) : new WebhookReceipt(true, p.Event.EventId, p.Event.Type, "duplicate"));
        }

        var now = time.GetUtcNow();
        later.Upsert("provider_events", "provider, event_id", OutcomeColumns, ["outcome"],
            [.. Enumerable.Range(0, batch.Count).Where(i => recorded[i]).Select(i => new Outcome(batch[i].Provider.Text(), receipts[i], now))]);
        await later.FlushAsync(CancellationToken.None);
        return receipts;
    }

    /// <summary>A new event's outcome, for its row (recorded at the batch's start as <c>received</c>).</summary>
    sealed record Outcome(string Provider, WebhookReceipt Receipt, DateTimeOffset At);

    static readonly IReadOnlyList<BulkColumn<Outcome>> OutcomeColumns =
    [
        BulkColumn<Outcome>.Text("provider", o => o.Provider),
        BulkColumn<Outcome>.Text("event_id", o => o.Receipt.EventId),
        BulkColumn<Outcome>.Text("type", o => o.Receipt.Type),
        BulkColumn<Outcome>.Text("outcome", o => o.Receipt.Outcome),
        BulkColumn<Outcome>.Timestamp("received_at", o => o.At),
    ];

    /// <summary>
    /// Records the batch's event ids, as received, in one statement; says of each event whether it is new. An id
    /// recorded already, by an earlier delivery or earlier in this batch, is a duplicate; one another writer's batch
    /// holds uncommitted waits for that batch, and is a duplicate once it commits.
    /// </summary>
    async Task<bool[]> RecordAsync(DbTransaction tx, IReadOnlyList<Pending> batch)
    {
        var now = time.GetUtcNow();
        var isNew = new bool[batch.Count];
        if (tx is NpgsqlTransaction postgres)
        {
            await using var insert = new NpgsqlCommand(
                """
                INSERT INTO provider_events (provider, event_id, type, outcome, received_at)
                SELECT provider, event_id, type, 'received', @now FROM unnest(@providers, @ids, @types) AS e (provider, event_id, type)
                ON CONFLICT (provider, event_id) DO NOTHING
                RETURNING provider, event_id
                """, postgres.Connection, postgres);
            // In key order, so that two writers' batches holding the same redelivered events wait on each other rather than deadlock.
            var rows = batch.Select(p => (Provider: p.Provider.Text(), Id: p.Event.EventId, p.Event.Type))
                .OrderBy(r => r.Provider, StringComparer.Ordinal).ThenBy(r => r.Id, StringComparer.Ordinal).ToArray();
            insert.Parameters.Add(new NpgsqlParameter("now", now));
            insert.Parameters.Add(new NpgsqlParameter("providers", rows.Select(r => r.Provider).ToArray()));
            insert.Parameters.Add(new NpgsqlParameter("ids", rows.Select(r => r.Id).ToArray()));
            insert.Parameters.Add(new NpgsqlParameter("types", rows.Select(r => r.Type).ToArray()));
            var inserted = new HashSet<(string, string)>();
            await using (var reader = await insert.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync()) inserted.Add((reader.GetString(0), reader.GetString(1)));
            }

            // The first of two deliveries in one batch is the new one; the second, its duplicate.
            for (var i = 0; i < batch.Count; i++) isNew[i] = inserted.Remove((batch[i].Provider.Text(), batch[i].Event.EventId));
            return isNew;
        }

        for (var i = 0; i < batch.Count; i++)
        {
            isNew[i] = await tx.Connection!.ExecuteAsync(
                """
                INSERT INTO provider_events (provider, event_id, type, outcome, received_at) VALUES (@provider, @EventId, @Type, 'received', @now)
                ON CONFLICT (provider, event_id) DO NOTHING
                """, new { provider = batch[i].Provider.Text(), batch[i].Event.EventId, batch[i].Event.Type, now }, tx) == 1;
        }

        return isNew;
    }

    /// <summary>Applies a new event's effects, in the caller's transaction (its id recorded, its outcome the caller's to record).</summary>
    async Task<WebhookReceipt> ApplyInAsync(DbTransaction tx, Pending pending)
    {
        var (name, inbound, actor) = (pending.Provider, pending.Event, pending.Actor);
        var outcomes = new List<string>();
        foreach (var effect in inbound.Effects)
        {
            outcomes.Add(effect switch
            {
                CheckoutCompleted completed => await checkouts.CompleteInAsync(tx, name, completed, actor),
                CheckoutExpired expired => await checkouts.ExpireInAsync(tx, name, expired, actor),
                PaymentReported payment => await ledger.ApplyAsync(tx, name, payment, actor),
                RefundReported refund => await ledger.ApplyAsync(tx, name, refund, actor),
                PaymentMethodUpdated method => await ledger.ApplyAsync(tx, name, method, actor),
                ProviderSubscriptionChanged changed => await ledger.ApplyAsync(tx, name, changed, actor),
                _ => "ignored",
            });
        }

        var outcome = outcomes.Count == 0 ? "ignored" : outcomes.Contains("applied") ? "applied" : outcomes[0];
        return new WebhookReceipt(true, inbound.EventId, inbound.Type, outcome);
    }
}
