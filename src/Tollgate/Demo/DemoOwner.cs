using Tollgate.Common;
using Tollgate.Operators;

namespace Tollgate.Demo;

/// <summary>The demo's first owner of the dashboard, with a password everyone knows: a demo's, never a real server's.</summary>
public sealed class DemoOwner(OperatorStore operators)
{
    public const string Email = "owner@demo.tollgate.dev";
    public const string Password = "tollgate-demo-owner";

    /// <summary>Adds the owner unless an operator exists already.</summary>
    public async Task EnsureAsync(CancellationToken ct)
    {
        if (await operators.CountAsync(ct) > 0) return;
        var created = await operators.CreateAsync(Email, "Demo Owner", OperatorRole.Owner, Password, Actor.System, ct);
        if (!created.IsOk && created.Error.Status != StatusCodes.Status409Conflict)
            throw new InvalidOperationException($"The demo's owner could not be added: {created.Error.Message}");
    }
}
