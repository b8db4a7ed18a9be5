using Microsoft.Extensions.Options;
using Microsoft.Playwright;

namespace Tollgate.Billing.Invoices;

/// <summary>
/// Prints invoice pages to PDF in a headless Chromium driven by Playwright: one browser per process, started on the
/// first PDF and started again if it dies, each page in a context of its own with scripts and the network off, at most
/// two at once. Without Chromium at <c>Billing:ChromiumPath</c> there is no PDF, only the HTML page.
/// </summary>
public sealed partial class InvoicePdf(IOptions<BillingOptions> options, ILogger<InvoicePdf> log) : IAsyncDisposable
{
    readonly SemaphoreSlim _starting = new(1, 1);
    readonly SemaphoreSlim _printing = new(2, 2);
    IPlaywright? _playwright;
    IBrowser? _browser;

    public bool Available => File.Exists(options.Value.ChromiumPath);

    /// <summary>The page printed on A4; null when there is no Chromium to print with.</summary>
    public async Task<byte[]?> PrintAsync(string html, CancellationToken ct)
    {
        if (!Available) return null;
        await _printing.WaitAsync(ct);
        try
        {
            var browser = await BrowserAsync(ct);
            await using var context = await browser.NewContextAsync(new() { JavaScriptEnabled = false, Offline = true });
            var page = await context.NewPageAsync();
            await page.SetContentAsync(html, new() { WaitUntil = WaitUntilState.Load });
            return await page.PdfAsync(new()
            {
                Format = "A4", PrintBackground = true,
                Margin = new() { Top = "16mm", Bottom = "16mm", Left = "14mm", Right = "14mm" },
            });
        }
        finally
        {
            _printing.Release();
        }
    }

    async Task<IBrowser> BrowserAsync(CancellationToken ct)
    {
        if (_browser is { IsConnected: true } running) return running;
        await _starting.WaitAsync(ct);
        try
        {
            if (_browser is { IsConnected: true } started) return started;
            if (_browser is not null) LogRestarted(log);
            _playwright ??= await Playwright.CreateAsync();
            _browser = await _playwright.Chromium.LaunchAsync(new()
            {
                ExecutablePath = options.Value.ChromiumPath, Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            });
            return _browser;
        }
        finally
        {
            _starting.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
    }

    [LoggerMessage(EventId = 12004, Level = LogLevel.Warning, Message = "Chromium for invoice PDFs had stopped; starting it again.")]
    static partial void LogRestarted(ILogger logger);
}
