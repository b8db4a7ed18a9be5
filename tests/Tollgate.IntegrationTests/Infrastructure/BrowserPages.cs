using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Tollgate.IntegrationTests.Infrastructure;

/// <summary>
/// Debian's Chromium driven by Playwright, with what a page must never do recorded as it happens: a console error, an
/// uncaught exception, a request that fails or answers 400 or more. <see cref="AssertCleanAsync"/> checks them, and
/// axe's serious and critical accessibility rules, for the page shown now.
/// </summary>
public sealed class BrowserPages : IAsyncDisposable
{
    readonly IPlaywright _playwright;
    readonly IBrowser _browser;
    readonly List<string> _problems = [];

    BrowserPages(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    public static async Task<BrowserPages> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium", Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        return new BrowserPages(playwright, browser);
    }

    /// <summary>A new page (its own cookies) of <paramref name="width"/> pixels, watched for problems.</summary>
    public async Task<IPage> NewPageAsync(int width = 1280, int height = 900)
    {
        var context = await _browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height } });
        var page = await context.NewPageAsync();
        page.Console += (_, message) =>
        {
            // The browser's own note of a response the test meant to get ("… responded with a status of 401 …") is no problem.
            if (message.Type == "error" && !Expected.Any(status => message.Text.Contains($"status of {status} ", StringComparison.Ordinal)))
                _problems.Add($"console error on {page.Url}: {message.Text}");
        };
        page.PageError += (_, error) => _problems.Add($"uncaught error on {page.Url}: {error}");
        page.RequestFailed += (_, request) => _problems.Add($"request failed: {request.Method} {request.Url} ({request.Failure})");
        page.Response += (_, response) => { if (response.Status >= 400 && !Expected.Contains(response.Status)) _problems.Add($"{response.Status} for {response.Request.Method} {response.Url}"); };
        return page;
    }

    /// <summary>Statuses a test means to see (a wrong password's 401, say); cleared by <see cref="AssertCleanAsync"/>.</summary>
    public HashSet<int> Expected { get; } = [];

    /// <summary>No problems so far, and none of axe's serious or critical violations on the page as it is now.</summary>
    public async Task AssertCleanAsync(IPage page)
    {
        _problems.ShouldBeEmpty();
        var axe = await page.RunAxe();
        axe.Violations.Where(v => v.Impact is "serious" or "critical").Select(Describe).ShouldBeEmpty($"axe on {page.Url}");
        var wide = await page.EvaluateAsync<string[]>(
            """
            Array.from(document.querySelectorAll("body *"))
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !(e.parentElement && e.parentElement.closest(".scroll")))
                .slice(0, 5).map(e => e.tagName + "." + e.className + ": " + (e.textContent || "").slice(0, 40))
            """);
        (await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth + 1"))
            .ShouldBeTrue($"no sideways scrolling of {page.Url}; wider than the window: {string.Join("; ", wide)}");
        Expected.Clear();
    }

    static string Describe(AxeResultItem violation) =>
        $"{violation.Id} ({violation.Impact}): {violation.Help} at {string.Join(", ", violation.Nodes.Select(n => n.Target?.ToString()))}";

    /// <summary>Signs in through the sign-in form, as a person does, and waits for the dashboard's home.</summary>
    public static async Task SignInAsync(IPage page, Uri server, string email, string password = PageClient.Password)
    {
        await page.GotoAsync(new Uri(server, "/dashboard").ToString());
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(new Uri(server, "/dashboard").ToString());
    }

    /// <summary>Where the repository's <c>docs/</c> is, for the screenshots the suite takes of the pages.</summary>
    public static string DocsPath(string file)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Tollgate.slnx"))) dir = dir.Parent;
        var docs = Path.Combine(dir?.FullName ?? Path.GetTempPath(), "docs", "screenshots");
        Directory.CreateDirectory(docs);
        return Path.Combine(docs, file);
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
