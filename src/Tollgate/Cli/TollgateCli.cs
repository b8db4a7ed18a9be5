using System.CommandLine;
using Microsoft.Extensions.Options;
using Tollgate.Storage;

namespace Tollgate.Cli;

/// <summary>
/// The verbs of the one binary. Anything a verb does not recognise (<c>--Storage:ConnectionString=…</c>)
/// goes to the host's configuration, like any other ASP.NET Core setting.
/// </summary>
public static class TollgateCli
{
    public static Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Tollgate: the open-source revenue engine for AI products.");
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(Verb("migrate", "Apply pending database migrations and exit.", MigrateAsync));
        root.Subcommands.Add(CatalogCommands.Create());
        root.Subcommands.Add(KeyCommands.Create());
        root.Subcommands.Add(OperatorCommands.Create());
        return root.Parse(args).InvokeAsync();
    }

    /// <param name="defaults">Settings the verb's options imply (<c>--Payments:TestProvider=true</c>), before the command line's own, which win.</param>
    internal static Command Verb(
        string name, string description, Func<WebApplication, ParseResult, CancellationToken, Task<int>> run, Func<ParseResult, IEnumerable<string>>? defaults = null)
    {
        var command = new Command(name, description) { TreatUnmatchedTokensAsErrors = false };
        command.SetAction((parse, ct) => WithAppAsync(parse, ct, run, defaults?.Invoke(parse) ?? []));
        return command;
    }

    /// <summary>Builds the app, checks configuration, migrates, and runs <paramref name="run"/>; mistakes become messages, not stack traces.</summary>
    internal static async Task<int> WithAppAsync(
        ParseResult parse, CancellationToken ct, Func<WebApplication, ParseResult, CancellationToken, Task<int>> run, IEnumerable<string>? defaults = null)
    {
        WebApplication app;
        try
        {
            app = TollgateApp.Build([.. defaults ?? [], .. parse.UnmatchedTokens]);
            _ = app.Services.GetRequiredService<IOptions<StorageOptions>>().Value;
            _ = app.Services.GetRequiredService<IOptions<ApiKeys.AdminOptions>>().Value;
            _ = app.Services.GetRequiredService<IOptions<Gateway.GatewayOptions>>().Value;
            _ = app.Services.GetRequiredService<IOptions<Secrets.SecretsOptions>>().Value;
            _ = app.Services.GetRequiredService<IOptions<Metering.MeteringOptions>>().Value;
        }
        catch (OptionsValidationException e)
        {
            foreach (var failure in e.Failures) await Console.Error.WriteLineAsync($"tollgate: configuration error: {failure}");
            return 2;
        }

        await using (app)
        {
            var database = app.Services.GetRequiredService<Database>();
            try
            {
                var options = app.Services.GetRequiredService<IOptions<StorageOptions>>().Value;
                if (options.MigrateOnStart || parse.CommandResult.Command.Name == "migrate")
                {
                    await app.Services.GetRequiredService<Migrator>().MigrateAsync(ct);
                }
            }
            catch (Exception e) when (e is System.Data.Common.DbException or System.Net.Sockets.SocketException or TimeoutException)
            {
                await Console.Error.WriteLineAsync($"tollgate: cannot use the {database.Kind} database ({database.Target.Redacted()}): {e.Message}");
                return 3;
            }

            return await run(app, parse, ct);
        }
    }

    /// <summary>Prints an expected failure, with its field errors, and gives the exit code for it.</summary>
    internal static async Task<int> FailAsync(Common.ApiError error)
    {
        await Console.Error.WriteLineAsync($"tollgate: {error.Message}");
        foreach (var (field, messages) in error.Errors ?? new Dictionary<string, string[]>())
        {
            foreach (var message in messages) await Console.Error.WriteLineAsync($"  {field}: {message}");
        }

        return 1;
    }

    static async Task<int> MigrateAsync(WebApplication app, ParseResult parse, CancellationToken ct)
    {
        var database = app.Services.GetRequiredService<Database>();
        var pending = await app.Services.GetRequiredService<Migrator>().PendingAsync(ct);
        Console.WriteLine(pending.Count == 0
            ? $"The {database.Kind} database at {database.Target.Redacted()} is up to date."
            : $"{pending.Count} migrations are still pending.");
        return pending.Count == 0 ? 0 : 1;
    }
}
