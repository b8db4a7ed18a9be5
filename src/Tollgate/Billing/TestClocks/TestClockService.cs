using System.Data.Common;
using Dapper;
using Tollgate.Audit;
using Tollgate.Billing.Runs;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Billing.TestClocks;

/// <summary>
/// Test clocks and their advance. Advancing takes the clock (one advance at a time; one left behind by a crashed
/// node is taken over after <see cref="Abandoned"/>), then steps through every instant something of its customers
/// falls due before the new time (a period's end, a trial warning, a dunning step), running the invoice run of the
/// clock's customers at each, in order, and finally at the new time. Each step is saved as it is done, so an advance
/// cut short resumes where it stopped, and bills nothing twice (the invoice run never does).
/// </summary>
public sealed class TestClockService(Database database, InvoiceRunner runner, AuditLog audit, Microsoft.Extensions.Options.IOptions<BillingOptions> options, TimeProvider time)
{
    public const string Prefix = "clock";

    /// <summary>How far one advance may move a clock: a long jump is many invoice runs.</summary>
    public static readonly TimeSpan LongestAdvance = TimeSpan.FromDays(3 * 366);

    /// <summary>An advance whose node has not saved a step for this long is taken to have died; another may take the clock.</summary>
    public static readonly TimeSpan Abandoned = TimeSpan.FromMinutes(10);

    const string Columns = "id, name, frozen_time, status, created_at, updated_at";

    public Task<Result<TestClock>> CreateAsync(CreateTestClockRequest request, Actor actor, CancellationToken ct)
    {
        var check = new Validation();
        if (request.FrozenTime is null) check.Add("frozen_time", "is required.");
        check.Text("name", request.Name, required: false, 200);
        if (check.Failed) return Task.FromResult<Result<TestClock>>(check.ToError());

        var now = time.GetUtcNow();
        var clock = new TestClock(Ids.New(Prefix, time), string.IsNullOrWhiteSpace(request.Name) ? null : request.Name.Trim(), request.FrozenTime!.Value.ToUniversalTime(),
            TestClockStatus.Ready, now, now);
        return database.InTransactionAsync<TestClock>(async (connection, tx) =>
        {
            await connection.ExecuteAsync(
                $"INSERT INTO test_clocks ({Columns}) VALUES (@Id, @Name, @FrozenTime, @status, @CreatedAt, @UpdatedAt)",
                new { clock.Id, clock.Name, clock.FrozenTime, status = EnumText.Snake(clock.Status), clock.CreatedAt, clock.UpdatedAt }, tx);
            await audit.RecordAsync(tx, actor, "test_clock.created", "test_clock", clock.Id, null, clock, null);
            return (Result<TestClock>)clock;
        }, ct);
    }

    public async Task<TestClock?> GetAsync(string id, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return (await connection.QuerySingleOrDefaultAsync<Row>($"SELECT {Columns} FROM test_clocks WHERE id = @id", new { id }))?.ToClock();
    }

    public async Task<IReadOnlyList<TestClock>> ListAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return [.. (await connection.QueryAsync<Row>($"SELECT {Columns} FROM test_clocks ORDER BY id DESC LIMIT 1000")).Select(r => r.ToClock())];
    }

    public async Task<Result<TestClock>> AdvanceAsync(string id, AdvanceTestClockRequest request, Actor actor, CancellationToken ct)
    {
        if (request.FrozenTime is not { } requested) return ApiError.Invalid("frozen_time", "is required.");
        var target = requested.ToUniversalTime();
        var taken = await database.InTransactionAsync<TestClock>(async (connection, tx) =>
        {
            var clock = (await connection.QuerySingleOrDefaultAsync<Row>($"SELECT {Columns} FROM test_clocks WHERE id = @id{database.ForUpdate}", new { id }, tx))?.ToClock();
            if (clock is null) return ApiError.NotFound("test_clock", id);
            if (target < clock.FrozenTime)
            {
                return new ApiError("test_clock_backwards", StatusCodes.Status400BadRequest,
                    $"Test clock {id} is at {clock.FrozenTime:O}; a clock only moves forward.");
            }

            if (target - clock.FrozenTime > LongestAdvance)
            {
                return new ApiError("test_clock_advance_too_far", StatusCodes.Status400BadRequest,
                    $"One advance moves a clock at most {LongestAdvance.TotalDays:N0} days; advance it in steps.");
            }

            var now = time.GetUtcNow();
            if (clock.Status == TestClockStatus.Advancing && now - clock.UpdatedAt < Abandoned)
            {
                return ApiError.Conflict("test_clock_advancing", $"Test clock {id} is being advanced; wait for that advance to return.");
            }

            await SaveAsync(tx, id, clock.FrozenTime, TestClockStatus.Advancing);
            await audit.RecordAsync(tx, actor, "test_clock.advanced", "test_clock", id, clock, clock with { FrozenTime = target }, null);
            return clock;
        }, ct);
        if (!taken.IsOk) return taken;

        var from = taken.Value.FrozenTime;
        var totals = new Totals();
        var at = from;
        try
        {
            while (true)
            {
                var next = await NextDueAsync(id, at, ct);
                var step = next is { } due && due < target ? due : target;
                totals.Add(await runner.RunAsync(actor, id, step, ct));
                at = step;
                var last = step == target;
                await database.InTransactionAsync(async (connection, tx) =>
                {
                    await SaveAsync(tx, id, step, last ? TestClockStatus.Ready : TestClockStatus.Advancing);
                    return step;
                }, ct);
                if (last) break;
            }
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            // Stopped where the last step ended, ready to be advanced again rather than left advancing until abandoned.
            await database.InTransactionAsync(async (connection, tx) =>
            {
                await SaveAsync(tx, id, at, TestClockStatus.Ready);
                return at;
            }, CancellationToken.None);
            throw;
        }

        var advanced = await GetAsync(id, ct);
        return advanced! with { Advance = totals.Result(from, target) };
    }

    /// <summary>
    /// The first instant after <paramref name="after"/> when something of the clock's customers falls due, if any: a
    /// period's end, a dunning retry, a trial's warning, a resume or an incomplete subscription's expiry, in one query.
    /// </summary>
    async Task<DateTimeOffset?> NextDueAsync(string id, DateTimeOffset after, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<Due>(
            """
            SELECT 'trial_end' AS kind, MIN(current_period_end) AS at FROM subscriptions
            WHERE test_clock_id = @id AND status = 'trialing' AND current_period_end > @after
            UNION ALL
            SELECT 'period', MIN(current_period_end) FROM subscriptions
            WHERE test_clock_id = @id AND status IN ('active', 'past_due') AND current_period_end > @gracedAfter
            UNION ALL
            SELECT 'retry', MIN(next_payment_attempt) FROM invoices WHERE test_clock_id = @id AND status = 'open' AND next_payment_attempt > @after
            UNION ALL
            SELECT 'trial', MIN(trial_end) FROM subscriptions
            WHERE test_clock_id = @id AND status = 'trialing' AND trial_will_end_sent = FALSE AND trial_end > @warnedAfter
            UNION ALL
            SELECT 'resume', MIN(resumes_at) FROM subscriptions WHERE test_clock_id = @id AND status = 'paused' AND resumes_at > @after
            UNION ALL
            SELECT 'incomplete', MIN(created_at) FROM subscriptions WHERE test_clock_id = @id AND status = 'incomplete' AND created_at > @expiredAfter
            """,
            new { id, after, gracedAfter = after - options.Value.InvoiceGrace, warnedAfter = after + InvoiceRunner.TrialWarning, expiredAfter = after - InvoiceRunner.IncompleteExpiry });
        return rows.Where(r => r.At is not null).Select(r => r.Kind switch
        {
            "trial" => r.At!.Value - InvoiceRunner.TrialWarning,
            "period" => r.At!.Value + options.Value.InvoiceGrace,
            "incomplete" => r.At!.Value + InvoiceRunner.IncompleteExpiry,
            _ => r.At!.Value,
        }).Cast<DateTimeOffset?>().Min();
    }

    Task SaveAsync(DbTransaction tx, string id, DateTimeOffset frozenTime, TestClockStatus status) =>
        tx.Connection!.ExecuteAsync("UPDATE test_clocks SET frozen_time = @frozenTime, status = @status, updated_at = @now WHERE id = @id",
            new { id, frozenTime, status = EnumText.Snake(status), now = time.GetUtcNow() }, tx);

    sealed class Totals
    {
        int _steps, _periods, _invoices, _ended, _dunning;
        readonly List<string> _ids = [];
        readonly List<InvoiceRunFailure> _failed = [];

        public void Add(InvoiceRunResult run)
        {
            _steps++;
            _periods += run.PeriodsBilled;
            _invoices += run.InvoicesCreated;
            _ended += run.SubscriptionsEnded;
            _dunning += run.DunningSteps;
            _ids.AddRange(run.InvoiceIds);
            _failed.AddRange(run.Failed);
        }

        public TestClockAdvance Result(DateTimeOffset from, DateTimeOffset to) =>
            new(from, to, _steps, _periods, _invoices, [.. _ids.Take(1000)], _ended, _dunning, [.. _failed.DistinctBy(f => f.SubscriptionId)]);
    }

    sealed class Due
    {
        public string Kind { get; init; } = "";
        public DateTimeOffset? At { get; init; }
    }

    sealed class Row
    {
        public string Id { get; init; } = "";
        public string? Name { get; init; }
        public DateTimeOffset FrozenTime { get; init; }
        public string Status { get; init; } = "";
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }

        public TestClock ToClock() => new(Id, Name, FrozenTime, EnumText.Parse<TestClockStatus>(Status), CreatedAt, UpdatedAt);
    }
}
