using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.ApiKeys;
using Tollgate.Common;

namespace Tollgate.Billing.TestClocks;

public static class TestClockEndpoints
{
    public static RouteGroupBuilder MapTestClockEndpoints(this RouteGroupBuilder api)
    {
        var clocks = api.MapGroup("/test-clocks").WithTags("Billing").RequireAdmin();
        clocks.MapPost("/", Create).WithSummary("Create a test clock frozen at a time; attach test customers to it with test_clock_id when creating them.");
        clocks.MapGet("/", async (TestClockService service, CancellationToken ct) => TypedResults.Ok(await service.ListAsync(ct))).WithSummary("List test clocks, newest first.");
        clocks.MapGet("/{id}", Get).WithSummary("Get a test clock.");
        clocks.MapPost("/{id}/advance", Advance)
            .WithSummary("Move a test clock forward: renewals, trial ends, invoice runs and dunning steps due on the way run, in order, before the call returns.");
        return api;
    }

    static async Task<Results<Created<TestClock>, ProblemHttpResult>> Create(Caller caller, TestClockService service, CreateTestClockRequest request, CancellationToken ct) =>
        caller.Key.Mode != KeyMode.Test
            ? Customers.CustomerEndpoints.TestModeOnly().ToProblem()
            : (await service.CreateAsync(request, caller.Actor, ct)).ToCreated(c => $"/api/v1/test-clocks/{c.Id}");

    static async Task<Results<Ok<TestClock>, ProblemHttpResult>> Get(TestClockService service, string id, CancellationToken ct) =>
        await service.GetAsync(id, ct) is { } clock ? TypedResults.Ok(clock) : ApiError.NotFound("test_clock", id).ToProblem();

    static async Task<Results<Ok<TestClock>, ProblemHttpResult>> Advance(
        Caller caller, TestClockService service, string id, AdvanceTestClockRequest request, CancellationToken ct) =>
        caller.Key.Mode != KeyMode.Test ? Customers.CustomerEndpoints.TestModeOnly().ToProblem() : (await service.AdvanceAsync(id, request, caller.Actor, ct)).ToOk();
}
