using System.CommandLine;
using Tollgate.ApiKeys;
using Tollgate.Demo;

namespace Tollgate.Cli;

static class ServeCommand
{
    public static Command Create()
    {
        var demo = new Option<bool>("--demo") { Description = "Load the answer-engine catalog and demo customers, and print test keys." };
        var command = TollgateCli.Verb("serve", $"Run the server (on {TollgateApp.DefaultUrl} unless --urls says otherwise).", async (app, parse, ct) =>
        {
            // A key the operator chose is registered before the demo's; otherwise the demo's admin key counts as the
            // operator's, so a demo start prints no second one.
            var bootstrap = app.Services.GetRequiredService<AdminKeyBootstrap>();
            var generated = bootstrap.HasGivenKey ? await bootstrap.RunAsync(ct) : null;
            var demoKeys = parse.GetValue(demo)
                ? await ActivatorUtilities.CreateInstance<DemoSeeder>(app.Services).SeedAsync(ct)
                : null;
            var history = demoKeys is not null && await ActivatorUtilities.CreateInstance<DemoHistory>(app.Services).SeedAsync(ct);
            if (demoKeys is not null) await ActivatorUtilities.CreateInstance<DemoOwner>(app.Services).EnsureAsync(ct);
            var operators = await app.Services.GetRequiredService<Operators.OperatorStore>().CountAsync(ct);
            generated ??= await bootstrap.RunAsync(ct);

            await app.StartAsync(ct);
            var url = app.Urls.FirstOrDefault() ?? TollgateApp.DefaultUrl;
            Console.WriteLine($"Tollgate is listening on {string.Join(", ", app.Urls)}. API explorer: {url}/docs");
            if (generated is not null) PrintGeneratedAdminKey(generated);
            if (demoKeys is not null)
            {
                var checkout = await ActivatorUtilities.CreateInstance<DemoSeeder>(app.Services).CheckoutAsync(url, ct);
                PrintDemo(demoKeys, url, checkout);
                if (history) Console.WriteLine($"A year of demo history was made on the test clock \"{DemoHistory.ClockName}\": see {url}/api/v1/analytics/mrr and /analytics/goals.");
                Console.WriteLine($"The dashboard: {url}/dashboard, signed in as {DemoOwner.Email} with the password {DemoOwner.Password}.");
            }
            else if (operators == 0)
            {
                Console.WriteLine($"No one can sign in to {url}/dashboard yet: add an owner with 'tollgate operators create --email you@example.com'.");
            }

            await app.WaitForShutdownAsync(ct);
            return 0;
        }, parse => parse.GetValue(demo) ? ["--Payments:TestProvider=true"] : []);
        command.Options.Add(demo);
        return command;
    }

    static void PrintGeneratedAdminKey(string secret)
    {
        Console.WriteLine();
        Console.WriteLine("No admin key existed, so Tollgate created one. It is shown this once; store it now:");
        Console.WriteLine($"  {secret}");
        Console.WriteLine("(Set TOLLGATE_ADMIN_KEY before the first start to choose it yourself.)");
    }

    static void PrintDemo(DemoKeys keys, string url, DemoCheckout? checkout)
    {
        Console.WriteLine();
        Console.WriteLine("Demo data is loaded: the answer-engine catalog and four customers (and a year of history on a test clock). Test-mode keys for this run:");
        Console.WriteLine($"  Admin key:    {keys.AdminKey}");
        Console.WriteLine($"  Customer key: {keys.CustomerKey}  ({keys.CustomerName}, {keys.CustomerId})");
        Console.WriteLine();
        Console.WriteLine("Try:");
        Console.WriteLine($"  curl -H 'Authorization: Bearer {keys.AdminKey}' {url}/api/v1/customers");
        Console.WriteLine($"  curl -H 'Authorization: Bearer {keys.CustomerKey}' {url}/api/v1/customers/{keys.CustomerId}");
        if (checkout is null) return;
        Console.WriteLine();
        Console.WriteLine(checkout.Paid
            ? "The demo's checkout is paid; its invoice:"
            : "Pay for a plan in the browser, at the built-in test provider (no money moves; card 4242 4242 4242 4242 succeeds):");
        Console.WriteLine($"  {checkout.Url}");
    }
}
