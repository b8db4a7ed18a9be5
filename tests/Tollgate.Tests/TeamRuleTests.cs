using Tollgate.Customers;

namespace Tollgate.Tests;

public class TeamRuleTests
{
    static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    static Member Owner => new() { Id = "mem_1", CustomerId = "cus_1", Email = "a@b.c", Role = Role.Owner, CreatedAt = Now, UpdatedAt = Now };

    [Fact]
    public void The_last_owner_cannot_be_demoted_or_removed()
    {
        TeamRules.CheckOwnerRemains(Owner, Role.Admin, removing: false, ownerCount: 1)!.Code.ShouldBe("last_owner");
        TeamRules.CheckOwnerRemains(Owner, null, removing: true, ownerCount: 1)!.Code.ShouldBe("last_owner");
    }

    [Fact]
    public void One_of_two_owners_can_step_down() =>
        TeamRules.CheckOwnerRemains(Owner, Role.Member, removing: false, ownerCount: 2).ShouldBeNull();

    [Fact]
    public void A_pending_invitation_past_its_expiry_is_expired() =>
        TeamRules.StatusAt(InvitationStatus.Pending, Now, Now).ShouldBe(InvitationStatus.Expired);

    [Fact]
    public void Customer_metadata_keys_are_removed_by_empty_values()
    {
        var created = CustomerRules.ForCreate(new CreateCustomerRequest("Acme", Metadata: new() { ["a"] = "1", ["b"] = "2" }), "cus_1", Now).Value;
        var updated = CustomerRules.ForUpdate(created, new UpdateCustomerRequest(Metadata: new() { ["a"] = "", ["c"] = "3" }), Now).Value;
        updated.Metadata.Keys.Order().ShouldBe(["b", "c"]);
    }
}
