using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests;

/// <summary>
/// <c>serve --demo</c> as a new user meets it, in its own process, offline: it prints a checkout at the built-in test
/// provider, which a test card pays, ending on the paid invoice; started again, it shows that invoice rather than asking again.
/// </summary>
public sealed class DemoTests
{
    [Fact]
    public async Task The_demo_prints_a_checkout_that_a_test_card_pays_and_started_again_shows_its_paid_invoice()
    {
        var file = Path.Combine(Path.GetTempPath(), $"tollgate-demo-{Guid.NewGuid():N}.db");
        var connection = $"Data Source={file}";
        var adminKey = "tg_admin_test_" + new string([.. Enumerable.Range(0, 43).Select(_ => "abcdefghijklmnopqrstuvwxyz0123456789"[Random.Shared.Next(36)])]);
        try
        {
            string invoice;
            await using (var first = await TollgateProcess.StartAsync(connection, adminKey, "--demo"))
            {
                var checkout = (await first.LineAfterAsync(l => l.StartsWith("Pay for a plan in the browser", StringComparison.Ordinal))).Trim();
                checkout.ShouldStartWith($"{first.BaseAddress.GetLeftPart(UriPartial.Authority)}/pay/test/chk_");
                using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
                (await browser.GetStringAsync(checkout)).ShouldContain("USD 499.00");

                var paid = await browser.PostAsync(checkout, new FormUrlEncodedContent([new("card", "tpm_4242")]));
                paid.StatusCode.ShouldBe(HttpStatusCode.Found);
                invoice = paid.Headers.Location!.ToString();
                invoice.ShouldBe($"{checkout}/invoice");
                var page = await browser.GetStringAsync(invoice);
                page.ShouldContain("<span class=\"status\">paid</span>");
                page.ShouldContain("Hooli Labs");
                await first.KillAsync();
            }

            await using var second = await TollgateProcess.StartAsync(connection, adminKey, "--demo");
            var shown = (await second.LineAfterAsync(l => l.StartsWith("The demo's checkout is paid", StringComparison.Ordinal))).Trim();
            new Uri(shown).AbsolutePath.ShouldBe(new Uri(invoice).AbsolutePath);

            // A year of history, made once: MRR to show, and the seeds' milestones as goals (not twice after a restart).
            var admin = new ApiClient(second.BaseAddress, adminKey);
            var months = (await admin.GetAsync("/api/v1/analytics/mrr?currency=USD")).Data;
            months.Count.ShouldBe(12);
            months[^1]!["mrr"]!.GetValue<long>().ShouldBeGreaterThan(0);
            months.Sum(m => m!["movements"]!["churn"]!.GetValue<long>()).ShouldBeGreaterThan(0, "customers leave in a year of history too");
            (await admin.GetAsync("/api/v1/analytics/goals")).Data.Select(g => g!["name"]!.GetValue<string>())
                .ShouldBe(["First 100 paid users", "$10k MRR", "$1M ARR"]);
            (await admin.GetAsync("/api/v1/analytics/usage?group_by=model")).Data.Count.ShouldBe(3);

            // The dashboard, signed in as the demo's owner, shows the year of history; its pages are the guide's screenshots.
            await using (var browser = await BrowserPages.LaunchAsync())
            {
                var page = await browser.NewPageAsync(1280, 900);
                await BrowserPages.SignInAsync(page, second.BaseAddress, Tollgate.Demo.DemoOwner.Email, Tollgate.Demo.DemoOwner.Password);
                await page.WaitForLoadStateAsync(Microsoft.Playwright.LoadState.NetworkIdle);
                var mrr = months[^1]!["mrr"]!.GetValue<long>();
                (await page.Locator(".tile", new() { HasText = "MRR" }).First.TextContentAsync())!.ShouldContain(Tollgate.Common.Money.Format(mrr, "USD"));
                await browser.AssertCleanAsync(page);
                await page.ScreenshotAsync(new() { Path = BrowserPages.DocsPath("dashboard-home.png"), FullPage = true });
                await page.GotoAsync(new Uri(second.BaseAddress, "/dashboard/customers?status=paying").ToString());
                await browser.AssertCleanAsync(page);
                await page.ScreenshotAsync(new() { Path = BrowserPages.DocsPath("dashboard-customers.png"), FullPage = true });
                await page.Locator("#customer-results tbody a").First.ClickAsync();
                await page.WaitForURLAsync("**/dashboard/customers/cus_*");
                await browser.AssertCleanAsync(page);
                await page.ScreenshotAsync(new() { Path = BrowserPages.DocsPath("dashboard-customer.png"), FullPage = true });
            }

            // The demo configures no real provider: putting a customer on one is refused.
            var customer = (await admin.GetAsync("/api/v1/customers")).Data.First()!["id"]!.GetValue<string>();
            var chosen = await admin.PutAsync($"/api/v1/customers/{customer}/payment-account", new { provider = "stripe" });
            (chosen.Status, chosen.Code).ShouldBe((HttpStatusCode.Conflict, "payment_provider_unavailable"));
        }
        finally
        {
            foreach (var f in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(file) + "*")) File.Delete(f);
            File.Delete(file);
        }
    }
}
