using System.CommandLine;
using Tollgate.ApiKeys;
using Tollgate.Common;

namespace Tollgate.Cli;

static class KeyCommands
{
    public static Command Create()
    {
        var keys = new Command("keys", "API keys.");
        var name = new Option<string>("--name") { Description = "What the key is for.", Required = true };
        var customer = new Option<string?>("--customer") { Description = "The customer id for a customer key; leave out for an admin key." };
        var mode = new Option<KeyMode>("--mode") { Description = "live or test.", DefaultValueFactory = _ => KeyMode.Live };
        var scopes = new Option<string[]>("--scope") { Description = "A scope to grant (repeatable); defaults depend on the kind.", AllowMultipleArgumentsPerToken = true };
        var expires = new Option<int?>("--expires-in-days") { Description = "Expire the key after this many days." };

        var create = TollgateCli.Verb("create", "Create a key and print its secret (shown only this once).", async (app, parse, ct) =>
        {
            var customerId = parse.GetValue(customer);
            var kind = customerId is null ? KeyKind.Admin : KeyKind.Customer;
            var system = new Caller(new ApiKeyEntry("cli", KeyKind.Admin, KeyMode.Live, null, [Scopes.Admin], null, null), "cli");
            var time = app.Services.GetRequiredService<TimeProvider>();
            var request = new CreateKeyRequest(
                parse.GetValue(name), null, customerId, kind, parse.GetValue(mode),
                parse.GetValue(scopes) is { Length: > 0 } s ? s : null,
                parse.GetValue(expires) is { } days ? time.GetUtcNow().AddDays(days) : null);
            var key = KeyPolicy.ForCreate(system, request, time.GetUtcNow());
            var created = key.IsOk ? await app.Services.GetRequiredService<ApiKeyStore>().CreateAsync(key.Value, Actor.Cli, ct) : key.Error;
            if (!created.IsOk)
            {
                return await TollgateCli.FailAsync(created.Error);
            }

            Console.WriteLine($"Created {created.Value.Kind.ToString().ToLowerInvariant()} key {created.Value.Id} ({created.Value.Mode.ToString().ToLowerInvariant()}). Its secret, shown only now:");
            Console.WriteLine(created.Value.Secret);
            return 0;
        });
        create.Options.Add(name);
        create.Options.Add(customer);
        create.Options.Add(mode);
        create.Options.Add(scopes);
        create.Options.Add(expires);
        keys.Subcommands.Add(create);
        return keys;
    }
}
