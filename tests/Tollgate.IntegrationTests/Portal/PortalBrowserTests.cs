using Microsoft.Playwright;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Portal;

/// <summary>
/// The customer portal in a real Chromium, as its people use it: at 80 % of a quota the upgrade is offered, previewed,
/// confirmed and its invoice found; a key's secret is shown once; an invited viewer signs in and cannot change the
/// plan. Every page is checked for console errors, failed requests, axe's serious and critical rules and a phone's width.
/// </summary>
public abstract class PortalBrowserTests(TollgateServer server)
{
    static readonly string[] Pages = ["/portal", "/portal/plan", "/portal/invoices", "/portal/keys", "/portal/team"];

    async Task<string> LinkAsync(string customer) =>
        (await server.Admin.PostAsync("/api/v1/portal-sessions", new { customer_id = customer, return_url = "https://app.example.com/account" })).Str("url")!;

    [Fact]
    public async Task Every_portal_page_opens_clean_on_a_desktop_and_on_a_phone()
    {
        var customer = await PortalKit.CustomerAsync(server);
        await using var browser = await BrowserPages.LaunchAsync();
        foreach (var (width, height) in new[] { (1280, 900), (360, 740) })
        {
            var page = await browser.NewPageAsync(width, height);
            await page.GotoAsync(await LinkAsync(customer.Id));
            foreach (var path in Pages)
            {
                (await page.GotoAsync(new Uri(server.BaseAddress, path).ToString()))!.Status.ShouldBe(200, path);
                await browser.AssertCleanAsync(page);
            }
        }
    }

    [Fact]
    public async Task A_customer_at_80_percent_of_a_quota_previews_an_upgrade_confirms_it_and_finds_its_invoice()
    {
        var customer = await PortalKit.CustomerAsync(server);
        await PortalKit.UseAsync(server, customer, 8);
        server.Clock.Advance(TimeSpan.FromDays(3)); // a few days into the period, so the change is prorated
        await using var browser = await BrowserPages.LaunchAsync();
        var page = await browser.NewPageAsync();
        await page.GotoAsync(await LinkAsync(customer.Id));
        await page.WaitForURLAsync(new Uri(server.BaseAddress, "/portal").ToString());

        var prompt = page.GetByRole(AriaRole.Region, new() { Name = "Upgrade" });
        (await prompt.TextContentAsync())!.ShouldContain($"{customer.Feature}: 80 % used");
        await browser.AssertCleanAsync(page);
        await page.ScreenshotAsync(new() { Path = BrowserPages.DocsPath("portal-overview.png"), FullPage = true });
        await prompt.GetByRole(AriaRole.Link, new() { Name = "See plans and upgrade" }).ClickAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = $"Preview moving to Big {customer.Big[5..]}" }).ClickAsync();
        var due = await page.Locator("tfoot td").TextContentAsync();
        due.ShouldStartWith("USD ");
        await browser.AssertCleanAsync(page);
        await page.ScreenshotAsync(new() { Path = BrowserPages.DocsPath("portal-upgrade-preview.png"), FullPage = true });
        await page.GetByRole(AriaRole.Button, new() { Name = $"Confirm and move to Big {customer.Big[5..]}" }).ClickAsync();

        await page.WaitForURLAsync("**/portal/invoices?flash=changed");
        var newest = (await server.Admin.GetAsync($"/api/v1/invoices?customer_id={customer.Id}")).Data.First()!;
        Tollgate.Common.Money.Format(newest["amount_due"]!.GetValue<long>(), "USD").ShouldBe(due, "the invoice bills what the preview said");
        await page.GetByRole(AriaRole.Link, new() { Name = $"View invoice {newest["number"]!.GetValue<string>()}" }).ClickAsync();
        (await page.Locator("h1").TextContentAsync()).ShouldBe($"Invoice {newest["number"]!.GetValue<string>()}");
        await page.GoBackAsync();
        await page.GotoAsync(new Uri(server.BaseAddress, "/portal").ToString());
        (await page.GetByRole(AriaRole.Region, new() { Name = "Upgrade" }).CountAsync()).ShouldBe(0, "8 of 100 now: no prompt");
        await browser.AssertCleanAsync(page);
    }

    [Fact]
    public async Task A_customer_creates_a_key_and_sees_its_secret_once()
    {
        var customer = await PortalKit.CustomerAsync(server);
        await using var browser = await BrowserPages.LaunchAsync();
        var page = await browser.NewPageAsync();
        await page.GotoAsync(await LinkAsync(customer.Id));
        await page.GetByRole(AriaRole.Link, new() { Name = "API keys" }).ClickAsync();
        await page.GetByLabel("Name of a new key").FillAsync("Production server");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();

        var secret = await page.GetByLabel("Secret").InputValueAsync();
        secret.ShouldStartWith("tg_");
        await browser.AssertCleanAsync(page);
        (await server.Client(secret).GetAsync($"/api/v1/customers/{customer.Id}")).Status.ShouldBe(HttpStatusCode.OK, "the secret is a working key of the customer's");

        await page.GotoAsync(new Uri(server.BaseAddress, "/portal/keys").ToString());
        (await page.ContentAsync()).ShouldNotContain(secret);
        (await page.GetByRole(AriaRole.Cell, new() { Name = "Production server", Exact = true }).CountAsync()).ShouldBe(1);
        (await page.GetByRole(AriaRole.Cell, new() { Name = "never" }).CountAsync()).ShouldBeGreaterThan(0, "not used yet");
    }

    [Fact]
    public async Task An_invited_viewer_signs_in_and_cannot_change_the_plan()
    {
        var customer = await PortalKit.CustomerAsync(server);
        await using var browser = await BrowserPages.LaunchAsync();
        var owner = await browser.NewPageAsync();
        await owner.GotoAsync(await LinkAsync(customer.Id));
        await owner.GetByRole(AriaRole.Link, new() { Name = "Team" }).ClickAsync();
        var email = $"viewer.{Guid.NewGuid():N}@team.example";
        await owner.GetByLabel("Email").FillAsync(email);
        await owner.GetByLabel("Role").SelectOptionAsync("viewer");
        await owner.GetByRole(AriaRole.Button, new() { Name = "Invite" }).ClickAsync();
        var link = await owner.GetByLabel("Invitation link").InputValueAsync();
        await browser.AssertCleanAsync(owner);

        var viewer = await browser.NewPageAsync(360, 740);
        await viewer.GotoAsync(link);
        await viewer.GetByLabel("Your name").FillAsync("Vera Viewer");
        await viewer.GetByLabel("A password").FillAsync(PageClient.Password);
        await viewer.GetByRole(AriaRole.Button, new() { Name = "Join" }).ClickAsync();
        await viewer.WaitForURLAsync(new Uri(server.BaseAddress, "/portal").ToString());
        await browser.AssertCleanAsync(viewer);
        await viewer.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();

        await viewer.GotoAsync(new Uri(server.BaseAddress, "/portal").ToString());
        await viewer.GetByLabel("Email").FillAsync(email);
        await viewer.GetByLabel("Password").FillAsync(PageClient.Password);
        await viewer.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await viewer.WaitForURLAsync(new Uri(server.BaseAddress, "/portal").ToString());
        (await viewer.Locator("header").TextContentAsync())!.ShouldContain("Vera Viewer · viewer");

        await viewer.GetByRole(AriaRole.Link, new() { Name = "Plan" }).ClickAsync();
        (await viewer.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Preview") }).CountAsync()).ShouldBe(0);
        (await viewer.ContentAsync()).ShouldContain("Your role may not change the plan");
        (await viewer.GetByRole(AriaRole.Button, new() { Name = "Cancel at the end of the period" }).CountAsync()).ShouldBe(0);
        await browser.AssertCleanAsync(viewer);

        // Nor by posting the form itself: the server refuses, and the plan stays.
        var token = await viewer.EvaluateAsync<string>("document.querySelector('input[name=_csrf]').value");
        var refused = await viewer.APIRequest.PostAsync(new Uri(server.BaseAddress, "/portal/plan/change").ToString(), new() { Form = FormOf(viewer, token, customer.Big) });
        refused.Status.ShouldBe(403);
        (await server.Admin.GetAsync($"/api/v1/subscriptions/{customer.Subscription}")).Str("plan").ShouldBe(customer.Small);
    }

    static IFormData FormOf(IPage page, string token, string plan)
    {
        var form = page.Context.APIRequest.CreateFormData();
        form.Set("_csrf", token);
        form.Set("plan", plan);
        return form;
    }
}

[Collection(SqliteCollection.Name)]
public sealed class PortalBrowserOnSqlite(SqliteServer server) : PortalBrowserTests(server);

[Collection(PostgresCollection.Name)]
public sealed class PortalBrowserOnPostgres(PostgresServer server) : PortalBrowserTests(server);
