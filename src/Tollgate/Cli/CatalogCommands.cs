using System.CommandLine;
using Tollgate.Catalog;
using Tollgate.Common;

namespace Tollgate.Cli;

static class CatalogCommands
{
    public static Command Create()
    {
        var catalog = new Command("catalog", "Catalog as code: apply a JSON catalog file, or export the current catalog.");

        var source = new Argument<string>("file") { Description = $"A catalog JSON file, or a shipped template: {string.Join(", ", CatalogTemplates.Names)}." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Report what would change and change nothing." };
        var apply = TollgateCli.Verb("apply", "Apply a catalog idempotently: all of it or nothing.", async (app, parse, ct) =>
        {
            var path = parse.GetValue(source)!;
            var json = File.Exists(path) ? await File.ReadAllTextAsync(path, ct) : CatalogTemplates.Read(path);
            if (json is null)
            {
                await Console.Error.WriteLineAsync($"tollgate: no file '{path}', and no template of that name ({string.Join(", ", CatalogTemplates.Names)}).");
                return 2;
            }

            CatalogDocument? document;
            try
            {
                document = ApiJson.Deserialize<CatalogDocument>(json);
            }
            catch (System.Text.Json.JsonException e)
            {
                await Console.Error.WriteLineAsync($"tollgate: {path} is not a valid catalog: {e.Message}");
                return 2;
            }

            var result = await app.Services.GetRequiredService<CatalogApplier>().ApplyAsync(document ?? new(), parse.GetValue(dryRun), Actor.Cli, ct);
            if (!result.IsOk)
            {
                return await TollgateCli.FailAsync(result.Error);
            }

            foreach (var change in result.Value.Changes)
            {
                var version = change.Version is { } v ? $" (version {v})" : "";
                Console.WriteLine($"{change.Change.ToString().ToLowerInvariant(),-10} {change.Kind,-8} {change.Code}{version}");
            }

            if (result.Value.DryRun) Console.WriteLine("Dry run: nothing was changed.");
            return 0;
        });
        apply.Arguments.Add(source);
        apply.Options.Add(dryRun);

        var export = TollgateCli.Verb("export", "Print the current catalog as a document 'catalog apply' accepts.", async (app, _, ct) =>
        {
            var document = await app.Services.GetRequiredService<CatalogApplier>().ExportAsync(ct);
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(document, new System.Text.Json.JsonSerializerOptions(ApiJson.Options) { WriteIndented = true }));
            return 0;
        });

        catalog.Subcommands.Add(apply);
        catalog.Subcommands.Add(export);
        return catalog;
    }
}
