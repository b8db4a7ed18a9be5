using Tollgate.Common;

namespace Tollgate.Customers;

/// <summary>The rules of a team: pure, so they are tested without a database.</summary>
public static class TeamRules
{
    public const int DefaultInvitationDays = 7;
    public const int MaxInvitationDays = 30;

    /// <summary>A team always keeps an owner: the last one can be neither removed nor demoted.</summary>
    public static ApiError? CheckOwnerRemains(Member member, Role? newRole, bool removing, int ownerCount)
    {
        var losesOwner = member.Role == Role.Owner && (removing || newRole is { } r && r != Role.Owner);
        return losesOwner && ownerCount <= 1
            ? ApiError.Conflict("last_owner", "A customer's last owner cannot be removed or demoted; make someone else owner first.")
            : null;
    }

    public static ApiError? CheckAdd(AddMemberRequest request)
    {
        var check = new Validation().Email("email", request.Email, required: true).Text("name", request.Name, required: false);
        return check.Failed ? check.ToError() : null;
    }

    public static ApiError? CheckInvite(InviteRequest request)
    {
        var check = new Validation().Email("email", request.Email, required: true);
        if (request.ExpiresInDays is { } days) check.Range("expires_in_days", days, 1, MaxInvitationDays);
        return check.Failed ? check.ToError() : null;
    }

    public static InvitationStatus StatusAt(InvitationStatus stored, DateTimeOffset expiresAt, DateTimeOffset now) =>
        stored == InvitationStatus.Pending && expiresAt <= now ? InvitationStatus.Expired : stored;
}
