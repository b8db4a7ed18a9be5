using Dapper;
using Tollgate.Metering;
using Tollgate.Metering.Queries;
using Tollgate.Storage;

namespace Tollgate.Limits;

/// <summary>
/// What a subject has used of a limit's measure in a period, from the gateway's usage records. Totals of a customer's
/// subjects are kept in <see cref="UsageTotals"/>, which adds what this node stores, so the threshold monitor's look
/// every second and the counter reconciler read a period once rather than again after every batch; a new counter's
/// baseline is read from the database (<see cref="ReadAsync"/>). A key's own subject
/// is read every time: its records are not all one customer's (an operator key acts for many).
/// </summary>
public sealed class LimitUsage(Database database, UsageTotals totals)
{
    readonly record struct Key(LimitMeasure Measure, string Subject, Period Period);

    public async Task<long> UsedAsync(LimitMeasure measure, LimitSubject subject, Period period, CancellationToken ct)
    {
        if (measure == LimitMeasure.Concurrent) return 0;
        if (subject.CustomerId is not { } customerId) return await ReadAsync(measure, subject, period, ct);

        var key = new Key(measure, subject.Id, period);
        if (totals.TryGet(customerId, key, out var kept)) return (long)kept;
        var ticket = totals.Begin(customerId);
        var used = await ReadAsync(measure, subject, period, ct);
        totals.Keep(ticket, key, used, Adds(measure, subject, period));
        return used;
    }

    /// <summary>What one stored gateway event adds to the subject's use, as <see cref="ReadAsync"/> counts it.</summary>
    static UsageTotals.Adds Adds(LimitMeasure measure, LimitSubject subject, Period period) => usage =>
    {
        if (usage.Code != EventRules.GatewayCode || !period.Contains(usage.OccurredAt)) return 0;
        if (subject.KeyId is not null && usage.Values.Text("key_id") != subject.KeyId) return 0;
        if (subject.EndUser is not null && usage.Values.Text("end_user") != subject.EndUser) return 0;
        return measure switch
        {
            LimitMeasure.Requests => 1,
            LimitMeasure.Tokens => usage.Values.Number("total_tokens"),
            _ => usage.Values.Number("charge_nanos"),
        };
    };

    /// <summary>The same, read from the database every time: what a new counter starts from, the truth at that moment.</summary>
    public async Task<long> ReadAsync(LimitMeasure measure, LimitSubject subject, Period period, CancellationToken ct)
    {
        if (measure == LimitMeasure.Concurrent) return 0;
        var what = measure switch
        {
            LimitMeasure.Requests => "COUNT(*)",
            LimitMeasure.Tokens => "COALESCE(SUM(input_tokens + output_tokens), 0)",
            _ => "COALESCE(SUM(charge_nanos), 0)",
        };
        var where = new List<string> { "created_at >= @Start", "created_at < @End", "status NOT IN (@rejected, @notRun)" };
        if (subject.CustomerId is not null) where.Add("customer_id = @CustomerId");
        if (subject.KeyId is not null) where.Add("key_id = @KeyId");
        if (subject.EndUser is not null) where.Add("end_user = @EndUser");
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<long>(
            new CommandDefinition(
                $"SELECT {what} FROM usage_records WHERE {string.Join(" AND ", where)}",
                new { period.Start, period.End, rejected = UsageStatus.Rejected, notRun = UsageStatus.NotRun, subject.CustomerId, subject.KeyId, subject.EndUser },
                cancellationToken: ct));
    }
}
