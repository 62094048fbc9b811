using Microsoft.Playwright;

namespace Relay.Tests.Infrastructure;

/// <summary>
/// The system's headless Chromium (/usr/bin/chromium, installed by scripts/test.sh) through Playwright;
/// Playwright's own browser download is never used.
/// </summary>
public sealed class Chromium : IAsyncDisposable
{
    /// <summary>
    /// How long any wait in a page (an action, an expectation, a response) may take before the test gives
    /// up: <see cref="Eventually.HangGuard"/>. Tests wait on what the page shows, never on time; this only
    /// stops a test that would hang (on the shared cores an answer has taken over ten seconds).
    /// </summary>
    public static readonly float HangGuardMilliseconds = (float)Eventually.HangGuard.TotalMilliseconds;

    static Chromium() => Assertions.SetDefaultExpectTimeout(HangGuardMilliseconds);

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private Chromium(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    public static async Task<Chromium> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
            ],
        });
        return new Chromium(playwright, browser);
    }

    /// <summary>A fresh context (own cookies and storage) whose waits give up only after <see cref="HangGuardMilliseconds"/>.</summary>
    public async Task<IBrowserContext> NewContextAsync(BrowserNewContextOptions? options = null)
    {
        var context = await _browser.NewContextAsync(options);
        context.SetDefaultTimeout(HangGuardMilliseconds);
        context.SetDefaultNavigationTimeout(HangGuardMilliseconds);
        return context;
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
