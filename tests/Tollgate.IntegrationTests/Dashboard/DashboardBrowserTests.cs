using Microsoft.Playwright;
using Tollgate.IntegrationTests.Infrastructure;
using Tollgate.Operators;

namespace Tollgate.IntegrationTests.Dashboard;

/// <summary>
/// The dashboard in a real Chromium: every page opens without a console error or a failed request, passes axe's
/// serious and critical rules and fits a phone; an operator finds a customer and voids its invoice; a wrong password
/// is told and the lock-out shown. (The screenshots in docs/screenshots are taken of the demo, by DemoTests.)
/// </summary>
public abstract class DashboardBrowserTests(TollgateServer server)
{
    async Task<(string Customer, string Name, string Invoice)> CustomerWithOpenInvoiceAsync()
    {
        var plan = $"dbr_{Guid.NewGuid():N}"[..20];
        (await server.Admin.PostAsync("/api/v1/plans", new { code = plan, name = "Browser", version = new { prices = new[] { new { interval = "month", currency = "USD", amount = 4900 } } }, publish = true }))
            .Status.ShouldBe(HttpStatusCode.Created);
        var name = $"Voidable {Guid.NewGuid():N}"[..17];
        var customer = (await server.Admin.PostAsync("/api/v1/customers", new { name, email = $"{name.Replace(' ', '.')}@customers.example", country = "DE", currency = "USD" })).Id;
        var subscription = (await server.Admin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan, trial_days = 0 })).Id;
        var invoice = (await server.Admin.GetAsync($"/api/v1/invoices?subscription_id={subscription}")).Data.Single()!["id"]!.GetValue<string>();
        return (customer, name, invoice);
    }

    [Fact]
    public async Task Every_page_opens_clean_on_a_desktop_and_on_a_phone()
    {
        var (customer, _, _) = await CustomerWithOpenInvoiceAsync();
        var email = await PageClient.AddAsync(server, OperatorRole.Owner);
        await using var browser = await BrowserPages.LaunchAsync();
        foreach (var (width, height) in new[] { (1280, 900), (360, 740) })
        {
            var page = await browser.NewPageAsync(width, height);
            await BrowserPages.SignInAsync(page, server.BaseAddress, email);
            foreach (var path in new[] { "/dashboard", "/dashboard/customers", $"/dashboard/customers/{customer}", "/dashboard/invoices", "/dashboard/audit", "/dashboard/sessions" })
            {
                var answer = await page.GotoAsync(new Uri(server.BaseAddress, path).ToString());
                answer!.Status.ShouldBe(200, path);
                await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
                await browser.AssertCleanAsync(page);
            }

            // The charts were drawn: Chart.js made them from the data their canvases carry.
            await page.GotoAsync(new Uri(server.BaseAddress, "/dashboard").ToString());
            (await page.EvaluateAsync<int>("Array.from(document.querySelectorAll('canvas[data-chart]')).filter(c => window.Chart && window.Chart.getChart(c)).length")).ShouldBe(2);
        }
    }

    [Fact]
    public async Task An_operator_finds_a_customer_and_voids_its_invoice()
    {
        var (customer, name, invoice) = await CustomerWithOpenInvoiceAsync();
        var email = await PageClient.AddAsync(server, OperatorRole.Finance);
        await using var browser = await BrowserPages.LaunchAsync();
        var page = await browser.NewPageAsync();
        await BrowserPages.SignInAsync(page, server.BaseAddress, email);

        await page.GetByRole(AriaRole.Link, new() { Name = "Customers", Exact = true }).ClickAsync();
        await page.EvaluateAsync("window.sameDocument = true");
        await page.GetByLabel("Search").FillAsync(name);
        await page.GetByRole(AriaRole.Button, new() { Name = "Find" }).ClickAsync();
        // Only the results are swapped in, and the address follows the search, to share or reload.
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex(@"/dashboard/customers\?q="));
        await page.Locator("#customer-results tbody tr").First.WaitForAsync();
        (await page.Locator("#customer-results tbody tr").CountAsync()).ShouldBe(1, "the search found the one customer");
        (await page.EvaluateAsync<bool>("window.sameDocument === true")).ShouldBeTrue("htmx swapped the results in; the page was not loaded again");
        var found = page.Locator("#customer-results").GetByRole(AriaRole.Link, new() { Name = name });
        await found.ClickAsync();
        try
        {
            await page.WaitForURLAsync($"**/dashboard/customers/{customer}", new() { Timeout = 90_000 });
        }
        catch (TimeoutException)
        {
            // Say where the browser is and what it shows, so a run that times out on a loaded machine explains itself.
            var shown = await page.ContentAsync();
            throw new ShouldAssertException($"No customer page after clicking {name}: the browser is at {page.Url}, showing:\n{shown[..Math.Min(shown.Length, 3000)]}");
        }

        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        var number = (await server.Admin.GetAsync($"/api/v1/invoices/{invoice}")).Str("number")!;
        await page.GetByRole(AriaRole.Button, new() { Name = $"Void invoice {number}" }).ClickAsync();
        await page.WaitForURLAsync($"**/dashboard/customers/{customer}?flash=voided", new() { Timeout = 90_000 });
        (await page.GetByRole(AriaRole.Status).First.TextContentAsync()).ShouldBe("The invoice is void.");
        (await page.GetByRole(AriaRole.Button, new() { Name = $"Void invoice {number}" }).CountAsync()).ShouldBe(0);
        (await server.Admin.GetAsync($"/api/v1/invoices/{invoice}")).Str("status").ShouldBe("void");
        await browser.AssertCleanAsync(page);
    }

    [Fact]
    public async Task A_wrong_password_is_told_and_the_lock_out_shown_and_a_viewer_sees_no_void_button()
    {
        var (customer, _, _) = await CustomerWithOpenInvoiceAsync();
        var email = await PageClient.AddAsync(server, OperatorRole.Viewer);
        await using var browser = await BrowserPages.LaunchAsync();
        var page = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(server.BaseAddress, "/dashboard").ToString());
        browser.Expected.Add(401);
        browser.Expected.Add(429);
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            await page.GetByLabel("Email").FillAsync(email);
            await page.GetByLabel("Password").FillAsync("a wrong password");
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await page.GetByRole(AriaRole.Alert).WaitForAsync();
        }

        (await page.GetByRole(AriaRole.Alert).TextContentAsync())!.ShouldContain("locked until");
        await browser.AssertCleanAsync(page);

        var viewer = await browser.NewPageAsync();
        await BrowserPages.SignInAsync(viewer, server.BaseAddress, await PageClient.AddAsync(server, OperatorRole.Viewer));
        await viewer.GotoAsync(new Uri(server.BaseAddress, $"/dashboard/customers/{customer}").ToString());
        (await viewer.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Void") }).CountAsync()).ShouldBe(0);
        await browser.AssertCleanAsync(viewer);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class DashboardBrowserOnSqlite(SqliteServer server) : DashboardBrowserTests(server);

[Collection(PostgresCollection.Name)]
public sealed class DashboardBrowserOnPostgres(PostgresServer server) : DashboardBrowserTests(server);
