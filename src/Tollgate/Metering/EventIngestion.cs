using Microsoft.Extensions.Options;
using Tollgate.ApiKeys;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Customers;

namespace Tollgate.Metering;

/// <summary>
/// Takes events from <c>POST /events</c>: checks each one, finds its customer (from memory), and appends the good ones
/// to the <see cref="EventLog"/>, answering only once they are durable. Each event gets its own verdict, so one bad
/// event does not hold back the others, and a resent batch is answered with the same verdicts, as duplicates.
/// </summary>
public sealed class EventIngestion(
    EventLog log, EventStore store, ICustomerDirectory customers, CatalogMetrics metrics, IEnumerable<IUsageObserver> observers, ChangeFeed changes, UsageTotals totals,
    IOptions<MeteringOptions> options, TimeProvider time)
{
    public async Task<BatchResult> IngestAsync(IReadOnlyList<EventInput> inputs, Caller caller, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var results = new EventResult?[inputs.Count];
        var pending = new List<(int Index, UsageEvent Event, bool Repeat)>();
        var seen = new HashSet<(string, string)>();
        var found = new Dictionary<(string, bool), KnownCustomer?>(); // a batch names few customers, often one
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            var rejection = EventRules.Check(input, now, options.Value);
            if (rejection?.Code is EventRules.TooOld or EventRules.InFuture) rejection = await OnTestClockAsync(input, caller, found, rejection, ct);
            if (rejection is null && input.Properties is { Negative.Count: > 0 } properties) rejection = await NegativeAsync(input.Code!, properties, ct);
            string? customerId = null;
            if (rejection is null) (customerId, rejection) = await CustomerOfAsync(input, caller, found, ct);
            if (rejection is not null)
            {
                results[i] = new EventResult(i, input.Id, EventStatus.Rejected, Error: rejection);
                continue;
            }

            var usageEvent = new UsageEvent
            {
                Id = Ids.New(Ids.Event, time),
                CustomerId = customerId!,
                IdempotencyKey = input.Id!,
                Code = input.Code!,
                OccurredAt = input.Timestamp ?? now,
                Properties = input.Properties ?? EventProperties.Empty,
                Source = "api",
                KeyId = caller.Key.Id,
                ReceivedAt = now,
            };
            // The same id twice in one batch is one event: the first counts, the second is its duplicate.
            pending.Add((i, usageEvent, !seen.Add((usageEvent.CustomerId, usageEvent.IdempotencyKey))));
        }

        var appending = pending.Where(p => !p.Repeat).Select(p => p.Event).ToList();
        var storing = totals.BeginStore(appending.Select(e => e.CustomerId).Distinct());
        IReadOnlySet<string> inserted;
        try
        {
            // Waited for whatever the caller does: a commit landing after its totals were settled would be missed by them.
            inserted = await log.AppendAsync(appending, CancellationToken.None);
        }
        catch
        {
            totals.Unknown(storing);
            throw;
        }

        // Added to this node's totals before the thresholds look, so they read what was just stored; other nodes drop theirs.
        totals.Stored(storing, [.. appending.Where(e => inserted.Contains(e.Id)).Select(StoredUsage.Of)]);
        foreach (var customerId in pending.Where(p => inserted.Contains(p.Event.Id)).Select(p => p.Event.CustomerId).Distinct())
        {
            changes.PublishToOthers(ChangeKind.Usage, customerId);
            foreach (var observer in observers) observer.Stored(customerId, caller.Key.Id, null);
        }
        var duplicates = pending.Where(p => !inserted.Contains(p.Event.Id)).Select(p => (p.Event.CustomerId, p.Event.IdempotencyKey)).ToHashSet();
        var original = await store.FindAsync(duplicates, ct);
        foreach (var (index, usageEvent, _) in pending)
        {
            results[index] = inserted.Contains(usageEvent.Id)
                ? new EventResult(index, usageEvent.IdempotencyKey, EventStatus.Accepted, usageEvent.Id)
                : new EventResult(index, usageEvent.IdempotencyKey, EventStatus.Duplicate, original.GetValueOrDefault((usageEvent.CustomerId, usageEvent.IdempotencyKey)));
        }

        var all = results.Select(r => r!).ToList();
        return new BatchResult(
            all.Count(r => r.Status == EventStatus.Accepted), all.Count(r => r.Status == EventStatus.Duplicate), all.Count(r => r.Status == EventStatus.Rejected), all);
    }

    /// <summary>A negative number lowers a sum: refused unless a metric reading this property of this event code allows it.</summary>
    async ValueTask<EventRejection?> NegativeAsync(string code, EventProperties properties, CancellationToken ct)
    {
        foreach (var name in properties.Negative)
        {
            if (!await metrics.AllowsNegativeAsync(code, name, ct))
            {
                return new EventRejection("negative_value",
                    $"'{name}' is negative, and no metric of events '{code}' allows negative values (a metric's 'allow_negative').");
            }
        }

        return null;
    }

    /// <summary>The customer the event is for: a customer key's own (naming another is refused), or the one an admin key names.</summary>
    /// <summary>
    /// An event outside the server's window may be inside its customer's: a customer on a test clock lives at the
    /// clock's time, and its events are stamped so. The window is checked again from there.
    /// </summary>
    async Task<EventRejection?> OnTestClockAsync(EventInput input, Caller caller, Dictionary<(string, bool), KnownCustomer?> found, EventRejection rejection, CancellationToken ct)
    {
        var (customerId, unknown) = await CustomerOfAsync(input, caller, found, ct);
        if (unknown is not null || await store.TestClockTimeAsync(customerId!, ct) is not { } clockTime) return rejection;
        return EventRules.Check(input, clockTime, options.Value);
    }

    async Task<(string? CustomerId, EventRejection? Rejection)> CustomerOfAsync(
        EventInput input, Caller caller, Dictionary<(string, bool), KnownCustomer?> found, CancellationToken ct)
    {
        var named = input.CustomerId ?? input.ExternalCustomerId;
        if (!caller.IsAdmin)
        {
            var own = caller.Key.CustomerId!;
            if (named is null) return (own, null);
            var match = input.CustomerId is not null ? input.CustomerId == own : (await CustomerAsync(own, external: false, found, ct))?.ExternalId == input.ExternalCustomerId;
            return match ? (own, null) : (null, new EventRejection("customer_mismatch", "A customer key can only send events for its own customer."));
        }

        if (named is null) return (null, new EventRejection("invalid_event", "Name the customer: 'customer_id' (cus_…) or 'external_customer_id'."));
        var customer = await CustomerAsync(named, external: input.CustomerId is null, found, ct);
        return customer is not null
            ? (customer.Value.Id, null)
            : (null, new EventRejection("customer_not_found", $"No customer has {(input.CustomerId is not null ? "id" : "external id")} '{named}'."));
    }

    async ValueTask<KnownCustomer?> CustomerAsync(string name, bool external, Dictionary<(string, bool), KnownCustomer?> found, CancellationToken ct)
    {
        if (!found.TryGetValue((name, external), out var customer))
        {
            found[(name, external)] = customer = await customers.FindAsync(name, external, ct);
        }

        return customer;
    }
}
