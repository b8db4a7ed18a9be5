using System.Globalization;
using Tollgate.Counters;
using Tollgate.Gateway.Pricing;
using Tollgate.Gateway.Protocols;
using Tollgate.Limits;
using Tollgate.Metering.Queries;

namespace Tollgate.Gateway.Reservations;

/// <summary>A request's hold on one hard rate limit, concurrency limit or budget.</summary>
public sealed class LimitReservation(LimitUsage usage, Limit limit, LimitSubject subject, Period period, long amount)
    : Reservation(new CounterKey(subject.Id, limit.Id, period.Start, limit.Window is null ? null : period.End), limit.Amount, amount)
{
    public override Task<long> BaselineAsync(CancellationToken ct) =>
        limit.Window is null or LimitWindow.Minute or LimitWindow.Hour
            ? Task.FromResult(0L) // short windows start with their first request; in-flight counts start empty
            : usage.ReadAsync(limit.Measure, subject, period, ct);

    public override long Counted(Settlement settled) => limit.Measure switch
    {
        LimitMeasure.Requests => 1,
        LimitMeasure.Tokens => settled.Record.InputTokens + settled.Record.OutputTokens,
        LimitMeasure.Spend => settled.Record.ChargeNanos,
        _ => 0,
    };

    public override GatewayError Refusal(DateTimeOffset now)
    {
        var retryAfter = (int)Math.Ceiling(Math.Max(1, (period.End - now).TotalSeconds));
        var per = Describe(limit.Per);
        return limit.Measure switch
        {
            LimitMeasure.Concurrent => new GatewayError(429, "concurrency_limit_exceeded",
                $"At most {limit.Amount} requests may run at once {per}; retry when one finishes.", RetryAfterSeconds: 1),
            LimitMeasure.Spend => new GatewayError(429, "budget_exceeded",
                $"The budget of ${Dollars(limit.Amount)} per {Window} {per} is spent until {period.End:yyyy-MM-dd'T'HH:mm:ss'Z'}.") { Retryable = false },
            LimitMeasure.Tokens when Amount > limit.Amount => new GatewayError(429, "tokens_exceed_limit",
                $"This request may use up to {Amount} tokens, more than the limit of {limit.Amount} tokens per {Window} {per}; lower max_tokens or shorten the prompt.",
                "max_tokens") { Retryable = false },
            _ => new GatewayError(429, "rate_limit_exceeded",
                $"Rate limit of {limit.Amount} {Unit} per {Window} {per} reached; retry in {retryAfter} s.", RetryAfterSeconds: retryAfter),
        };
    }

    public override string HeaderGroup => limit.Measure switch
    {
        LimitMeasure.Requests => "requests",
        LimitMeasure.Tokens => "tokens",
        LimitMeasure.Concurrent => "concurrent",
        _ => "spend",
    };

    public override void WriteHeaders(IHeaderDictionary headers, long remaining, DateTimeOffset now)
    {
        var reset = period.End - now;
        switch (limit.Measure)
        {
            case LimitMeasure.Spend:
                headers["x-tollgate-budget-limit"] = Dollars(limit.Amount);
                headers["x-tollgate-budget-remaining"] = Dollars(remaining);
                headers["x-tollgate-budget-reset"] = period.End.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                break;
            case LimitMeasure.Concurrent:
                headers["x-ratelimit-limit-concurrent"] = limit.Amount.ToString(CultureInfo.InvariantCulture);
                headers["x-ratelimit-remaining-concurrent"] = remaining.ToString(CultureInfo.InvariantCulture);
                break;
            default:
                var unit = limit.Measure == LimitMeasure.Tokens ? "tokens" : "requests";
                headers[$"x-ratelimit-limit-{unit}"] = limit.Amount.ToString(CultureInfo.InvariantCulture);
                headers[$"x-ratelimit-remaining-{unit}"] = remaining.ToString(CultureInfo.InvariantCulture);
                headers[$"x-ratelimit-reset-{unit}"] = LimitRules.Duration(reset);
                break;
        }
    }

    string Unit => limit.Measure == LimitMeasure.Tokens ? "tokens" : "requests";

    string Window => (limit.Window ?? LimitWindow.Month).ToString().ToLowerInvariant();

    static string Describe(LimitPer per) => per switch
    {
        LimitPer.Customer => "for this customer",
        LimitPer.Key => "for this key",
        _ => "for this end user",
    };

    static string Dollars(long nanos) => (nanos / (decimal)Cost.NanosPerDollar).ToString("0.##########", CultureInfo.InvariantCulture);
}
