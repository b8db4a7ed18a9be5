using System.Globalization;
using Dapper;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Analytics.Goals;

public sealed class GoalStore(Database database, TimeProvider time)
{
    public const string Prefix = "goal";
    public const int MostGoals = 100;

    public async Task<Result<Goal>> CreateAsync(CreateGoalRequest request, CancellationToken ct)
    {
        var check = new Validation();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200) check.Add("name", "is required, at most 200 characters.");
        var currency = (request.Currency ?? "USD").ToUpperInvariant();
        if (currency.Length != 3 || !currency.All(char.IsAsciiLetterUpper)) check.Add("currency", "must be a three-letter ISO 4217 code.");
        if (request.Metric is GoalMetric.CustomerChurnRate ? request.Target is < 0 or > 1 : request.Target is < 0 or > 1_000_000_000_000_000m)
            check.Add("target", request.Metric is GoalMetric.CustomerChurnRate ? "a churn rate is a fraction from 0 to 1 (0.03 is 3 %)." : "must be from 0 to 10^18.");
        if (request.Metric is not GoalMetric.CustomerChurnRate && request.Target is { } whole && whole != decimal.Truncate(whole))
            check.Add("target", "an amount or a count is a whole number (amounts in minor units).");
        if (check.Failed) return check.ToError();

        var now = time.GetUtcNow();
        var goal = new Goal(Ids.New(Prefix, time), request.Name!.Trim(), request.Metric!.Value, currency, request.Target!.Value, request.DueAt!.Value.ToUniversalTime(), now);
        return await database.InTransactionAsync<Goal>(async (connection, tx) =>
        {
            if (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM analytics_goals", transaction: tx) >= MostGoals)
                return ApiError.Conflict("too_many_goals", $"There are {MostGoals} goals already; delete one first.");
            await connection.ExecuteAsync(
                "INSERT INTO analytics_goals (id, name, metric, currency, target, due_at, created_at) VALUES (@Id, @Name, @metric, @Currency, @target, @DueAt, @CreatedAt)",
                new { goal.Id, goal.Name, metric = EnumText.Snake(goal.Metric), goal.Currency, target = goal.Target.ToString(CultureInfo.InvariantCulture), goal.DueAt, goal.CreatedAt }, tx);
            return goal;
        }, ct);
    }

    public async Task<IReadOnlyList<Goal>> ListAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<Row>("SELECT id, name, metric, currency, target, due_at, created_at FROM analytics_goals ORDER BY due_at, id");
        return [.. rows.Select(r => new Goal(r.Id, r.Name, EnumText.Parse<GoalMetric>(r.Metric), r.Currency,
            decimal.Parse(r.Target, CultureInfo.InvariantCulture), r.DueAt, r.CreatedAt))];
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteAsync("DELETE FROM analytics_goals WHERE id = @id", new { id }) == 1;
    }

    sealed class Row
    {
        public string Id { get; init; } = "";
        public string Name { get; init; } = "";
        public string Metric { get; init; } = "";
        public string Currency { get; init; } = "";
        public string Target { get; init; } = "";
        public DateTimeOffset DueAt { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
    }
}
