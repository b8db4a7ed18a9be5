using System.CommandLine;
using Tollgate.Common;
using Tollgate.Operators;

namespace Tollgate.Cli;

static class OperatorCommands
{
    public const string PasswordVariable = "TOLLGATE_OPERATOR_PASSWORD";

    public static Command Create()
    {
        var operators = new Command("operators", "The people who sign in to the dashboard.");
        var email = new Option<string>("--email") { Description = "Their email, which they sign in with.", Required = true };
        var name = new Option<string?>("--name") { Description = "Their name, as the dashboard shows it (the email when left out)." };
        var role = new Option<string>("--role") { Description = "owner, admin, finance, support or viewer.", DefaultValueFactory = _ => "owner" };

        var create = TollgateCli.Verb("create", $"Add an operator. The password is read from {PasswordVariable}, else from the first line of standard input.", async (app, parse, ct) =>
        {
            if (OperatorRoles.Parse(parse.GetValue(role)) is not { } chosen)
                return await TollgateCli.FailAsync(ApiError.Invalid("role", "must be owner, admin, finance, support or viewer."));
            var password = Environment.GetEnvironmentVariable(PasswordVariable) is { Length: > 0 } set ? set : Console.In.ReadLine();
            var address = parse.GetValue(email);
            var created = await app.Services.GetRequiredService<OperatorStore>().CreateAsync(address, parse.GetValue(name) ?? address, chosen, password, Actor.Cli, ct);
            if (!created.IsOk) return await TollgateCli.FailAsync(created.Error);
            Console.WriteLine($"Added {created.Value.Role.Name()} {created.Value.Email} ({created.Value.Id}); they sign in at /dashboard.");
            return 0;
        });
        create.Options.Add(email);
        create.Options.Add(name);
        create.Options.Add(role);
        operators.Subcommands.Add(create);
        return operators;
    }
}
