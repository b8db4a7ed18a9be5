using Dapper;
using Tollgate.Metering;
using Tollgate.Metering.Queries;
using Tollgate.Storage;

namespace Tollgate.Limits;

/// <summary>What a subject has used of a limit's measure in a period, from the gateway's usage records.</summary>
public sealed class LimitUsage(Database database)
{
    public async Task<long> UsedAsync(LimitMeasure measure, LimitSubject subject, Period period, CancellationToken ct)
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
