using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests;

public abstract class TeamTests(TollgateServer server)
{
    async Task<string> CustomerAsync() => (await server.Admin.PostAsync("/api/v1/customers", new { name = "Team Co" })).Id;

    [Fact]
    public async Task The_first_member_owns_the_team_and_the_last_owner_stays()
    {
        var customer = await CustomerAsync();
        var owner = await server.Admin.PostAsync($"/api/v1/customers/{customer}/members", new { email = "Founder@Team.example", name = "Founder" });
        var member = await server.Admin.PostAsync($"/api/v1/customers/{customer}/members", new { email = "dev@team.example" });

        owner.Str("role").ShouldBe("owner");
        owner.Str("email").ShouldBe("founder@team.example");
        member.Str("role").ShouldBe("member");
        var demote = await server.Admin.PatchAsync($"/api/v1/customers/{customer}/members/{owner.Id}", new { role = "admin" });
        demote.Status.ShouldBe(HttpStatusCode.Conflict);
        demote.Code.ShouldBe("last_owner");
        (await server.Admin.DeleteAsync($"/api/v1/customers/{customer}/members/{owner.Id}")).Code.ShouldBe("last_owner");

        (await server.Admin.PatchAsync($"/api/v1/customers/{customer}/members/{member.Id}", new { role = "owner" })).Str("role").ShouldBe("owner");
        (await server.Admin.PatchAsync($"/api/v1/customers/{customer}/members/{owner.Id}", new { role = "billing" })).Str("role").ShouldBe("billing");
    }

    [Fact]
    public async Task The_same_person_cannot_join_twice()
    {
        var customer = await CustomerAsync();
        await server.Admin.PostAsync($"/api/v1/customers/{customer}/members", new { email = "a@team.example" });
        var again = await server.Admin.PostAsync($"/api/v1/customers/{customer}/members", new { email = "A@team.example" });
        again.Status.ShouldBe(HttpStatusCode.Conflict);
        again.Code.ShouldBe("member_exists");
    }

    [Fact]
    public async Task An_invitation_is_redeemed_once_into_a_member_with_its_role()
    {
        var customer = await CustomerAsync();
        var invitation = await server.Admin.PostAsync($"/api/v1/customers/{customer}/invitations", new { email = "new@team.example", role = "viewer" });
        invitation.Status.ShouldBe(HttpStatusCode.Created);
        var token = invitation.Str("token")!;

        var accepted = await server.Admin.PostAsync("/api/v1/invitations/accept", new { token, name = "Newcomer" });
        var again = await server.Admin.PostAsync("/api/v1/invitations/accept", new { token });

        accepted.Status.ShouldBe(HttpStatusCode.OK);
        accepted.Str("role").ShouldBe("viewer");
        accepted.Str("customer_id").ShouldBe(customer);
        again.Code.ShouldBe("invitation_used");
        var listed = await server.Admin.GetAsync($"/api/v1/customers/{customer}/invitations");
        listed.Data[0]!["status"]!.GetValue<string>().ShouldBe("accepted");
        listed.Data[0]!.AsObject().ContainsKey("token").ShouldBeFalse();
    }

    [Fact]
    public async Task An_expired_invitation_cannot_be_redeemed()
    {
        var customer = await CustomerAsync();
        var invitation = await server.Admin.PostAsync($"/api/v1/customers/{customer}/invitations", new { email = "late@team.example", expires_in_days = 1 });

        server.Clock.Advance(TimeSpan.FromDays(2));

        var response = await server.Admin.PostAsync("/api/v1/invitations/accept", new { token = invitation.Str("token") });
        response.Status.ShouldBe(HttpStatusCode.Gone);
        response.Code.ShouldBe("invitation_expired");
        (await server.Admin.GetAsync($"/api/v1/customers/{customer}/members")).Data.Count.ShouldBe(0);
    }

    [Fact]
    public async Task Unknown_roles_are_refused()
    {
        var customer = await CustomerAsync();
        var response = await server.Admin.PostAsync($"/api/v1/customers/{customer}/members", new { email = "x@team.example", role = "superuser" });
        response.Status.ShouldBe(HttpStatusCode.BadRequest);
        response.FieldErrors.ShouldBe(["role"]);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class TeamsOnSqlite(SqliteServer server) : TeamTests(server);

[Collection(PostgresCollection.Name)]
public sealed class TeamsOnPostgres(PostgresServer server) : TeamTests(server);
