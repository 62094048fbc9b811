using System.Collections.Concurrent;
using Microsoft.Playwright;
using Relay.Tests.Admin;
using Relay.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Relay.Tests.Api;

/// <summary>The API reference at /docs in real headless Chromium.</summary>
public sealed class ApiReferenceTests
{
    /// <summary>
    /// An operator's browser may have no way out, and the relay should not tell anyone who reads its
    /// reference: the page, its scripts and styles, its fonts and the document all come from the relay.
    /// Every request to another origin is recorded and refused.
    /// </summary>
    [Fact]
    public async Task The_reference_renders_the_relays_document_and_loads_nothing_from_another_origin()
    {
        await using var relay = RelayServer.Start();
        await using var chromium = await Chromium.LaunchAsync();
        var context = await chromium.NewContextAsync();
        var elsewhere = new ConcurrentQueue<string>();
        await context.RouteAsync("**/*", route =>
        {
            if (route.Request.Url.StartsWith(relay.BaseUrl + "/", StringComparison.Ordinal)) return route.ContinueAsync();
            elsewhere.Enqueue(route.Request.Url);
            return route.AbortAsync();
        });
        var fromRelay = new ConcurrentQueue<string>();
        context.RequestFinished += (_, request) => fromRelay.Enqueue(request.Url);
        var page = await context.NewPageAsync();

        await page.GotoAsync(relay.BaseUrl + "/docs");

        // The operations are on the page, so the document was fetched and rendered; then every request
        // the page started has ended (network idle), so none is still to come.
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "post /shopware/webhook" })).ToBeVisibleAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        Assert.Contains(relay.BaseUrl + "/openapi/v1.json", fromRelay);
        Assert.Empty(elsewhere);
    }
}
