using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Payments;

/// <summary>
/// The test provider's checkout page in a real Chromium: accessible by axe's rules, usable on a phone's width, a
/// declined card announced, and a paid checkout landing on the paid invoice, as the demo's does.
/// </summary>
[Collection(SqliteCollection.Name)]
public sealed class TestCheckoutBrowserTests(SqliteServer server)
{
    [Fact]
    public async Task A_customer_pays_at_the_test_checkout_in_a_browser_and_sees_the_paid_invoice()
    {
        var plan = $"tpb_{Guid.NewGuid():N}"[..20];
        (await server.TestAdmin.PostAsync("/api/v1/catalog/apply", new
        {
            plans = new[] { new { code = plan, name = "Pro", prices = new[] { new { interval = "month", currency = "USD", amount = 2900 } } } },
        })).Status.ShouldBe(HttpStatusCode.OK);
        var customer = (await server.TestAdmin.PostAsync("/api/v1/customers", new { name = "Browser Buyer", country = "US" })).Id;
        await server.TestAdmin.PutAsync($"/api/v1/customers/{customer}/payment-account", new { provider = "test" });
        var checkout = await server.TestAdmin.PostAsync("/api/v1/checkout-sessions", new
        {
            customer_id = customer, plan, interval = "month", success_url = $"{server.BaseAddress}pay/test/{{CHECKOUT_SESSION_ID}}/invoice",
            cancel_url = "https://app.example.com/pricing",
        });
        checkout.Status.ShouldBe(HttpStatusCode.Created, checkout.Body?.ToJsonString());

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium", Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 360, Height = 740 } });
        await page.GotoAsync(checkout.Str("url")!);

        (await page.RunAxe()).Violations.ShouldBeEmpty();
        (await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth")).ShouldBeTrue(); // no sideways scrolling on a phone
        (await page.TitleAsync()).ShouldStartWith("Pay USD 29.00");

        await page.GetByLabel("4000 0000 0000 0002 Declined").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Pay USD 29.00" }).ClickAsync();
        (await page.GetByRole(AriaRole.Alert).TextContentAsync())!.ShouldContain("Your card was declined.");
        (await page.RunAxe()).Violations.ShouldBeEmpty();

        var good = page.GetByLabel("4242 4242 4242 4242 Succeeds");
        await good.CheckAsync();
        (await good.IsCheckedAsync()).ShouldBeTrue();
        await page.GetByRole(AriaRole.Button, new() { Name = "Pay USD 29.00" }).ClickAsync();
        try
        {
            await page.WaitForURLAsync($"**/pay/test/{checkout.Id}/invoice", new() { Timeout = 90_000 });
        }
        catch (TimeoutException)
        {
            // Say where the browser is and what it shows, so a run that times out on a loaded machine explains itself.
            var shown = await page.ContentAsync();
            throw new ShouldAssertException($"No invoice page after paying: the browser is at {page.Url}, showing:\n{shown[..Math.Min(shown.Length, 3000)]}");
        }

        (await page.Locator("h1").TextContentAsync())!.ShouldStartWith("Invoice ");
        (await page.Locator(".status").TextContentAsync()).ShouldBe("paid");
        (await page.Locator("tr.due td").TextContentAsync()).ShouldBe("USD 0.00");
    }
}
