using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Admin;

/// <summary>
/// The relay on a real Kestrel port (127.0.0.1, free port), so a browser can reach it: TestServer
/// lives only in memory. Same configuration as <see cref="RelayApplication"/>.
/// </summary>
public sealed class RelayServer : IAsyncDisposable
{
    private RelayServer(RelayApplication app, string baseUrl)
    {
        App = app;
        BaseUrl = baseUrl;
        Client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(baseUrl) };
    }

    public RelayApplication App { get; }

    /// <summary>"http://127.0.0.1:port", no trailing slash.</summary>
    public string BaseUrl { get; }

    /// <summary>Talks to the Kestrel port; redirects are not followed, so iframe entries can be inspected.</summary>
    public HttpClient Client { get; }

    /// <summary>
    /// The port is chosen before the start because the relay must know its own public address
    /// (Shopware's confirmation URL and Shoper's and Shoprenter's webhook URLs are built from it).
    /// </summary>
    public static RelayServer Start(Dictionary<string, string?>? settings = null, TimeProvider? time = null)
    {
        var port = RedisServer.FreePort();
        var baseUrl = $"http://127.0.0.1:{port}";
        var all = new Dictionary<string, string?> { ["Shopware:PublicBaseUrl"] = baseUrl, ["Shoper:PublicBaseUrl"] = baseUrl, ["Shoprenter:PublicBaseUrl"] = baseUrl };
        foreach (var (key, value) in settings ?? []) all[key] = value;
        var app = new RelayApplication(all, time);
        app.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        app.StartServer();
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        if (!bound.Any(a => a.TrimEnd('/').EndsWith($":{port}", StringComparison.Ordinal)))
            throw new InvalidOperationException($"The relay did not bind {baseUrl} (bound: {string.Join(", ", bound)}).");
        return new RelayServer(app, baseUrl);
    }

    public T Get<T>() where T : notnull => App.Get<T>();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
    }
}
