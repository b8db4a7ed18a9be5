using Tollgate.Counters;
using Tollgate.Gateway.Protocols;

namespace Tollgate.Gateway.Reservations;

/// <summary>
/// Room a gateway request must hold on one shared counter before it goes upstream: a hard quota, a rate limit, a
/// concurrency limit or a budget. <see cref="Amount"/> is the most the request could count; when the request ends it
/// settles to what it really counted (<see cref="Counted"/>).
/// </summary>
public abstract class Reservation(CounterKey key, long limit, long amount)
{
    public CounterKey Key { get; } = key;

    public long Limit { get; } = limit;

    public long Amount { get; } = amount;

    /// <summary>What this counter had already counted in the period before its shared row existed.</summary>
    public abstract Task<long> BaselineAsync(CancellationToken ct);

    /// <summary>What the finished request counts; 0 when it was refused before it ran.</summary>
    public abstract long Counted(Settlement settled);

    /// <summary>The answer when the counter has no room for <see cref="Amount"/>.</summary>
    public abstract GatewayError Refusal(DateTimeOffset now);

    /// <summary>Reservations of one group share response headers; the one with least room left writes them.</summary>
    public abstract string HeaderGroup { get; }

    public abstract void WriteHeaders(IHeaderDictionary headers, long remaining, DateTimeOffset now);
}
