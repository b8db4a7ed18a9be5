using System.Data.Common;
using Dapper;

namespace Tollgate.Billing.Clocks;

/// <summary>
/// The time billing acts at. It is the server's time, except in an operation on a customer attached to a test clock:
/// there it is that clock's frozen time, from the moment the operation <see cref="Enter"/>s it (an async-local value,
/// so it holds for the rest of that operation and whatever it calls, and for nothing else). Every billing record's
/// times (periods, trials, invoices, dunning, wallet expiry, coupon durations) come from <see cref="Now"/>; ids keep the
/// server's time, so they still sort by when they were made.
/// </summary>
public sealed class BillingClock(TimeProvider time)
{
    static readonly AsyncLocal<DateTimeOffset?> Frozen = new();

    public DateTimeOffset Now => Frozen.Value ?? time.GetUtcNow();

    /// <summary>Makes <paramref name="frozen"/> the time for the rest of the calling operation; null is the server's time.</summary>
    /// <remarks>Call it as <c>BillingClock.Enter(await BillingClock.OfCustomerAsync(tx, id))</c> in the operation itself:
    /// an async method's own async-local changes end with it, so a helper could not enter the clock for its caller.</remarks>
    public static void Enter(DateTimeOffset? frozen) => Frozen.Value = frozen;

    /// <summary>The frozen time of the customer's test clock, or null when it has none.</summary>
    public static Task<DateTimeOffset?> OfCustomerAsync(DbTransaction tx, string customerId) => Customers.CustomerClocks.FrozenTimeAsync(tx.Connection!, tx, customerId);
}
