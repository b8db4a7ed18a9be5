using System.Collections.Concurrent;
using System.Data.Common;
using Dapper;

namespace Tollgate.Customers;

/// <summary>The time of a customer's test clock: billing lives at it, and event ingestion checks its window against it.</summary>
public static class CustomerClocks
{
    /// <summary>
    /// Customers known to have no test clock. A customer's clock is set when it is created and never after, so one
    /// seen without a clock never gains one, on any node: most customers' lookups (all of them in production) cost no
    /// query. Bounded: when it holds <see cref="MostRemembered"/>, it starts again.
    /// </summary>
    static readonly ConcurrentDictionary<string, byte> Clockless = new(StringComparer.Ordinal);

    const int MostRemembered = 50_000;

    /// <summary>The frozen time of the customer's test clock, or null when it has none (or there is no such customer).</summary>
    public static async Task<DateTimeOffset?> FrozenTimeAsync(DbConnection connection, DbTransaction? tx, string customerId)
    {
        if (Clockless.ContainsKey(customerId)) return null;
        var row = await connection.QuerySingleOrDefaultAsync<ClockRow>(
            "SELECT u.test_clock_id, c.frozen_time FROM customers u LEFT JOIN test_clocks c ON c.id = u.test_clock_id WHERE u.id = @customerId", new { customerId }, tx);
        if (row is { TestClockId: null })
        {
            if (Clockless.Count >= MostRemembered) Clockless.Clear();
            Clockless.TryAdd(customerId, 0);
        }

        return row?.FrozenTime;
    }

    sealed class ClockRow
    {
        public string? TestClockId { get; init; }
        public DateTimeOffset? FrozenTime { get; init; }
    }
}
