using Tollgate.Web;
using Tollgate.Operators;

namespace Tollgate.Tests.Operators;

public sealed class OperatorRolesTests
{
    [Theory]
    [InlineData(OperatorRole.Owner, "View ManageCustomers ManageBilling ManageCatalog ManageWebhooks ManageSettings ManageOperators")]
    [InlineData(OperatorRole.Admin, "View ManageCustomers ManageBilling ManageCatalog ManageWebhooks ManageSettings")]
    [InlineData(OperatorRole.Finance, "View ManageBilling")]
    [InlineData(OperatorRole.Support, "View ManageCustomers")]
    [InlineData(OperatorRole.Viewer, "View")]
    public void Each_role_may_do_exactly_its_share(OperatorRole role, string allowed) =>
        string.Join(' ', Enum.GetValues<OperatorPermission>().Where(p => role.Allows(p))).ShouldBe(allowed);

    [Theory]
    [InlineData("owner", OperatorRole.Owner)]
    [InlineData("Finance", OperatorRole.Finance)]
    [InlineData("viewer", OperatorRole.Viewer)]
    public void Roles_are_read_by_name(string text, OperatorRole role) => OperatorRoles.Parse(text).ShouldBe(role);

    [Theory]
    [InlineData("0")]
    [InlineData("4")]
    [InlineData("root")]
    [InlineData(null)]
    public void Anything_else_is_no_role(string? text) => OperatorRoles.Parse(text).ShouldBeNull();

    [Fact]
    public void An_anti_forgery_token_is_its_sessions_own()
    {
        var token = FormTokens.Csrf("tgo_session_one");
        FormTokens.Matches("tgo_session_one", token).ShouldBeTrue();
        FormTokens.Matches("tgo_session_two", token).ShouldBeFalse();
        FormTokens.Matches("tgo_session_one", token[..^1] + (token[^1] == 'A' ? 'B' : 'A')).ShouldBeFalse();
        FormTokens.Matches("tgo_session_one", null).ShouldBeFalse();
        FormTokens.Matches("tgo_session_one", "").ShouldBeFalse();
    }
}
