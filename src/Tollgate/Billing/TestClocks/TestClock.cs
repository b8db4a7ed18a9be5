namespace Tollgate.Billing.TestClocks;

public enum TestClockStatus
{
    Ready,
    Advancing,
}

/// <summary>
/// A clock for test customers, as Stripe's: created at a time, with customers attached at their creation
/// (<c>test_clock_id</c>); their billing happens at the clock's time, and only when it is advanced.
/// </summary>
public sealed record TestClock(string Id, string? Name, DateTimeOffset FrozenTime, TestClockStatus Status, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    /// <summary>What the advance that answered this clock did; absent elsewhere.</summary>
    public TestClockAdvance? Advance { get; init; }
}

/// <summary>
/// What an advance ran on the way, in order: an invoice run at each instant something was due (a period's end, a
/// trial warning, a dunning step) and one at the new time.
/// </summary>
public sealed record TestClockAdvance(
    DateTimeOffset From, DateTimeOffset To, int Steps, int PeriodsBilled, int InvoicesCreated, IReadOnlyList<string> InvoiceIds, int SubscriptionsEnded, int DunningSteps,
    IReadOnlyList<Runs.InvoiceRunFailure> Failed);

/// <summary><c>POST /api/v1/test-clocks</c>.</summary>
public sealed record CreateTestClockRequest([property: System.ComponentModel.DataAnnotations.Required] DateTimeOffset? FrozenTime, string? Name = null);

/// <summary><c>POST /api/v1/test-clocks/{id}/advance</c>: the new time, never before the clock's.</summary>
public sealed record AdvanceTestClockRequest([property: System.ComponentModel.DataAnnotations.Required] DateTimeOffset? FrozenTime);
