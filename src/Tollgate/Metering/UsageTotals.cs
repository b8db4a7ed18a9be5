using System.Text.Json.Nodes;
using Tollgate.Common;

namespace Tollgate.Metering;

/// <summary>
/// One event just stored, as totals see it: the gateway's (its record's properties) or one sent to the API, whose JSON
/// is parsed only if a total of its customer needs to look at it.
/// </summary>
public sealed class StoredUsage(string customerId, string code, DateTimeOffset occurredAt, Func<EventValues> values)
{
    EventValues? _values;

    public string CustomerId => customerId;
    public string Code => code;
    public DateTimeOffset OccurredAt => occurredAt;
    public EventValues Values => _values ??= values();

    public static StoredUsage Of(UsageEvent stored) => new(stored.CustomerId, stored.Code, stored.OccurredAt,
        () => EventValues.Of(JsonNode.Parse(stored.Properties.Json) as JsonObject ?? []));
}

/// <summary>
/// Totals of a customer's usage read from the database (a metric over a window, a limit's measure over a period), kept
/// in memory in step with the usage this node stores: what is stored here is added to every total of its customer as it
/// commits, so a total is read once, not again after every batch. (Before, each batch dropped the customer's totals,
/// and the threshold monitor read the whole period back every second for every active customer: a month of usage a
/// second.) Usage another node stored (heard through the change feed), a write whose outcome is unknown, and an event a
/// total cannot add exactly (a max, a unique count, a latest value) drop the customer's totals instead; they are read
/// again when next asked. A total read while this node was storing usage of its customer is not kept, as it may or may
/// not hold that usage. Bounded: past <see cref="MaxCustomers"/> the customers asked about longest ago go, one by one,
/// and a customer with more than <see cref="MaxTotalsPerCustomer"/> totals starts again.
/// </summary>
public sealed class UsageTotals
{
    public const int MaxCustomers = 100_000;
    public const int MaxTotalsPerCustomer = 512;

    readonly Lock _gate = new();
    readonly LruCache<string, Customer> _customers = new(MaxCustomers, long.MaxValue, static (_, _) => 1);
    long _everyone;

    /// <summary>How one stored event changes a total: by a number (0 when it does not touch it), or null when it cannot tell.</summary>
    public delegate decimal? Adds(StoredUsage stored);

    /// <summary>Where a read started, to keep its total only if nothing was stored meanwhile.</summary>
    public readonly record struct Ticket(string CustomerId, object Customer, long Generation, long Everyone);

    /// <summary>Customers whose usage is being stored, from <see cref="BeginStore"/> to <see cref="Stored"/> or <see cref="Unknown"/>.</summary>
    public sealed class Storing
    {
        internal List<(string Id, Customer Customer)> Customers { get; } = [];
    }

    internal sealed class Kept(decimal total, Adds adds)
    {
        public decimal Total { get; set; } = total;
        public Adds Adds { get; } = adds;
    }

    internal sealed class Customer
    {
        public readonly Dictionary<object, Kept> Totals = [];
        public long Generation;
        public int Writes;
    }

    public bool TryGet(string customerId, object key, out decimal total)
    {
        lock (_gate)
        {
            if (_customers.TryGet(customerId, out var customer) && customer.Totals.TryGetValue(key, out var kept))
            {
                total = kept.Total;
                return true;
            }
        }

        total = 0;
        return false;
    }

    /// <summary>Call before reading a total from the database.</summary>
    public Ticket Begin(string customerId)
    {
        lock (_gate)
        {
            var customer = Current(customerId);
            return new Ticket(customerId, customer, customer.Generation, _everyone);
        }
    }

    /// <summary>Keeps a total read since <paramref name="ticket"/>, unless usage of its customer was stored (or began to be) meanwhile.</summary>
    public void Keep(Ticket ticket, object key, decimal total, Adds adds)
    {
        lock (_gate)
        {
            if (ticket.Everyone != _everyone || !_customers.TryGet(ticket.CustomerId, out var customer) || !ReferenceEquals(customer, ticket.Customer)) return;
            if (customer.Generation != ticket.Generation || customer.Writes > 0) return;
            if (customer.Totals.Count >= MaxTotalsPerCustomer && !customer.Totals.ContainsKey(key)) customer.Totals.Clear();
            customer.Totals[key] = new Kept(total, adds);
        }
    }

    /// <summary>Call before writing usage of these customers; then <see cref="Stored"/> with what was new, or <see cref="Unknown"/>.</summary>
    public Storing BeginStore(IEnumerable<string> customerIds)
    {
        var storing = new Storing();
        lock (_gate)
        {
            foreach (var id in customerIds)
            {
                var customer = Current(id);
                customer.Writes++;
                customer.Generation++;
                storing.Customers.Add((id, customer));
            }
        }

        return storing;
    }

    /// <summary>The write committed; <paramref name="stored"/> is exactly what it added (not what was there already).</summary>
    public void Stored(Storing storing, IReadOnlyList<StoredUsage> stored)
    {
        var byCustomer = stored.ToLookup(s => s.CustomerId, StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (var (id, customer) in storing.Customers)
            {
                customer.Writes--;
                customer.Generation++;
                if (!_customers.TryGet(id, out var current) || !ReferenceEquals(current, customer))
                {
                    // Dropped while the write ran: totals read since into a new entry may or may not hold it.
                    _customers.Remove(id);
                    continue;
                }

                foreach (var usage in byCustomer[id]) Apply(customer, usage);
            }
        }
    }

    /// <summary>The write failed or may have: whatever it added is unknown, so these customers' totals go.</summary>
    public void Unknown(Storing storing)
    {
        lock (_gate)
        {
            foreach (var (id, customer) in storing.Customers)
            {
                customer.Writes--;
                _customers.Remove(id);
            }
        }
    }

    /// <summary>Usage of <paramref name="customerId"/> changed elsewhere; with no id, anyone's may have (or metrics changed).</summary>
    public void Forget(string? customerId)
    {
        lock (_gate)
        {
            if (customerId is not null)
            {
                _customers.Remove(customerId);
                return;
            }

            _everyone++;
            _customers.Clear();
        }
    }

    /// <summary>
    /// What an event adds to a metric's total over <paramref name="window"/>: as the usage SQL counts it (the metric's
    /// code, time and filters; a count 1, a sum the property's number). Max, unique-count and latest totals cannot be
    /// added to, nor a number too large for a decimal: those events drop the total.
    /// </summary>
    public static Adds OfMetric(Catalog.Metric metric, Queries.Period window) => usage =>
    {
        if (usage.Code != metric.EventCode || !window.Contains(usage.OccurredAt) || !usage.Values.Matches(metric.Filters)) return 0;
        return metric.Aggregation switch
        {
            Catalog.Aggregation.Count => 1,
            Catalog.Aggregation.Sum => usage.Values.IsNumber(metric.Field!) ? usage.Values.Number(metric.Field!) : 0,
            _ => null,
        };
    };

    static void Apply(Customer customer, StoredUsage usage)
    {
        List<object>? unknown = null;
        foreach (var (key, kept) in customer.Totals)
        {
            if (kept.Adds(usage) is { } change) kept.Total += change;
            else (unknown ??= []).Add(key);
        }

        if (unknown is null) return;
        foreach (var key in unknown) customer.Totals.Remove(key);
    }

    Customer Current(string customerId)
    {
        if (_customers.TryGet(customerId, out var customer)) return customer;
        customer = new Customer();
        _customers.Set(customerId, customer);
        return customer;
    }
}
