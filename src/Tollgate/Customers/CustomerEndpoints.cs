using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.ApiKeys;
using Tollgate.Common;

namespace Tollgate.Customers;

public static class CustomerEndpoints
{
    public static RouteGroupBuilder MapCustomerEndpoints(this RouteGroupBuilder api)
    {
        var customers = api.MapGroup("/customers").WithTags("Customers");
        customers.MapGet("/", List).RequireAdmin().WithSummary("List customers, newest first; filter by external_id or email.");
        customers.MapPost("/", Create).RequireAdmin().WithSummary("Create a customer.");

        var one = customers.MapGroup("/{customerId}");
        one.MapGet("/", Get).RequireCustomerAccess(Scopes.CustomerRead).WithSummary("Get a customer.");
        one.MapPatch("/", Update).RequireAdmin().WithSummary("Change a customer; absent fields stay, empty strings clear.");
        one.MapDelete("/", Delete).RequireAdmin().WithSummary("Delete (archive) a customer and revoke its keys.");

        var members = one.MapGroup("/members").WithTags("Members");
        members.MapGet("/", ListMembers).RequireCustomerAccess(Scopes.CustomerRead).WithSummary("List a customer's team.");
        members.MapPost("/", AddMember).RequireAdmin().WithSummary("Add a member with a role (owner, admin, billing, member, viewer).");
        members.MapPatch("/{memberId}", UpdateMember).RequireAdmin().WithSummary("Change a member's name or role.");
        members.MapDelete("/{memberId}", RemoveMember).RequireAdmin().WithSummary("Remove a member; the last owner stays.");

        var invitations = one.MapGroup("/invitations").WithTags("Members");
        invitations.MapGet("/", ListInvitations).RequireCustomerAccess(Scopes.CustomerRead).WithSummary("List invitations.");
        invitations.MapPost("/", Invite).RequireAdmin().WithSummary("Invite someone; the token is in this response only.");
        invitations.MapDelete("/{invitationId}", RevokeInvitation).RequireAdmin().WithSummary("Revoke a pending invitation.");

        api.MapPost("/invitations/accept", Accept).RequireAdmin().WithTags("Members")
            .WithSummary("Redeem an invitation token: the invitee becomes a member.");
        return api;
    }

    static async Task<Results<Ok<Page<Customer>>, ProblemHttpResult>> List(
        CustomerStore store, [FromQuery(Name = "external_id")] string? externalId, string? email, int? limit, string? cursor, CancellationToken ct)
    {
        var page = new PageRequest(limit, cursor);
        return page.Check() is { } invalid ? invalid.ToProblem() : TypedResults.Ok(await store.ListAsync(externalId, email, page, ct));
    }

    static async Task<Results<Created<Customer>, ProblemHttpResult>> Create(
        Caller caller, CustomerStore store, CreateCustomerRequest request, CancellationToken ct) =>
        request.TestClockId is not null && caller.Key.Mode != KeyMode.Test
            ? TestModeOnly().ToProblem()
            : (await store.CreateAsync(request, caller.Actor, ct)).ToCreated(c => $"/api/v1/customers/{c.Id}");

    /// <summary>Test clocks and the customers on them belong to test mode: a live key may not make or move them.</summary>
    public static ApiError TestModeOnly() =>
        new("test_mode_only", StatusCodes.Status403Forbidden, "Test clocks are for test mode: use a test-mode admin key (tg_admin_test_…) for clocks and the customers on them.");

    static async Task<Results<Ok<Customer>, ProblemHttpResult>> Get(CustomerStore store, string customerId, CancellationToken ct) =>
        await store.GetAsync(customerId, ct) is { } customer ? TypedResults.Ok(customer) : ApiError.NotFound("customer", customerId).ToProblem();

    static async Task<Results<Ok<Customer>, ProblemHttpResult>> Update(
        Caller caller, CustomerStore store, string customerId, UpdateCustomerRequest request, CancellationToken ct) =>
        (await store.UpdateAsync(customerId, request, caller.Actor, ct)).ToOk();

    static async Task<Results<Ok<Customer>, ProblemHttpResult>> Delete(Caller caller, CustomerStore store, string customerId, CancellationToken ct) =>
        (await store.DeleteAsync(customerId, caller.Actor, ct)).ToOk();

    static async Task<Results<Ok<Page<Member>>, ProblemHttpResult>> ListMembers(
        CustomerStore customers, MemberStore store, string customerId, int? limit, string? cursor, CancellationToken ct)
    {
        var page = new PageRequest(limit, cursor);
        if (page.Check() is { } invalid) return invalid.ToProblem();
        if (await customers.GetAsync(customerId, ct) is null) return ApiError.NotFound("customer", customerId).ToProblem();
        return TypedResults.Ok(await store.ListAsync(customerId, page, ct));
    }

    static async Task<Results<Created<Member>, ProblemHttpResult>> AddMember(
        Caller caller, MemberStore store, string customerId, AddMemberRequest request, CancellationToken ct) =>
        (await store.AddAsync(customerId, request, caller.Actor, ct)).ToCreated(m => $"/api/v1/customers/{customerId}/members/{m.Id}");

    static async Task<Results<Ok<Member>, ProblemHttpResult>> UpdateMember(
        Caller caller, MemberStore store, string customerId, string memberId, UpdateMemberRequest request, CancellationToken ct) =>
        (await store.UpdateAsync(customerId, memberId, request, caller.Actor, ct)).ToOk();

    static async Task<Results<Ok<Member>, ProblemHttpResult>> RemoveMember(
        Caller caller, MemberStore store, string customerId, string memberId, CancellationToken ct) =>
        (await store.RemoveAsync(customerId, memberId, caller.Actor, ct)).ToOk();

    static async Task<Results<Ok<Page<Invitation>>, ProblemHttpResult>> ListInvitations(
        CustomerStore customers, InvitationStore store, string customerId, int? limit, string? cursor, CancellationToken ct)
    {
        var page = new PageRequest(limit, cursor);
        if (page.Check() is { } invalid) return invalid.ToProblem();
        if (await customers.GetAsync(customerId, ct) is null) return ApiError.NotFound("customer", customerId).ToProblem();
        return TypedResults.Ok(await store.ListAsync(customerId, page, ct));
    }

    static async Task<Results<Created<Invitation>, ProblemHttpResult>> Invite(
        Caller caller, InvitationStore store, string customerId, InviteRequest request, CancellationToken ct) =>
        (await store.CreateAsync(customerId, request, caller.Actor, ct)).ToCreated(i => $"/api/v1/customers/{customerId}/invitations/{i.Id}");

    static async Task<Results<Ok<Invitation>, ProblemHttpResult>> RevokeInvitation(
        Caller caller, InvitationStore store, string customerId, string invitationId, CancellationToken ct) =>
        (await store.RevokeAsync(customerId, invitationId, caller.Actor, ct)).ToOk();

    static async Task<Results<Ok<Member>, ProblemHttpResult>> Accept(
        Caller caller, InvitationStore store, AcceptInvitationRequest request, CancellationToken ct) =>
        (await store.AcceptAsync(request, caller.Actor, ct)).ToOk();
}
