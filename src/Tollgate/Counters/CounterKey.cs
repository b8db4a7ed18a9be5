namespace Tollgate.Counters;

/// <summary>
/// One shared counter: what is counted (<see cref="Counter"/>: a quota's feature, a limit's id) for whom
/// (<see cref="Subject"/>: a customer, a key, an end user) in one period. <see cref="PeriodEnd"/> is null for counters
/// that never reset, such as requests in flight.
/// </summary>
public readonly record struct CounterKey(string Subject, string Counter, DateTimeOffset PeriodStart, DateTimeOffset? PeriodEnd);
