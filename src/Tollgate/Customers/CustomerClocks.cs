using System.Data.Common;
using Dapper;

namespace Tollgate.Customers;

/// <summary>The time of a customer's test clock: billing lives at it, and event ingestion checks its window against it.</summary>
public static class CustomerClocks
{
    /// <summary>The frozen time of the customer's test clock, or null when it has none.</summary>
    public static async Task<DateTimeOffset?> FrozenTimeAsync(DbConnection connection, DbTransaction? tx, string customerId) =>
        (await connection.QuerySingleOrDefaultAsync<ClockTime>(
            "SELECT c.frozen_time FROM customers u JOIN test_clocks c ON c.id = u.test_clock_id WHERE u.id = @customerId", new { customerId }, tx))?.FrozenTime;

    sealed class ClockTime
    {
        public DateTimeOffset FrozenTime { get; init; }
    }
}
