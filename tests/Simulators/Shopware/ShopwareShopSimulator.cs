using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Simulators.Shopware;

public sealed record ShopwareShopSimulatorOptions
{
    /// <summary>The relay's app name and app secret, as the manifest would carry them.</summary>
    public required string AppName { get; init; }
    public required string AppSecret { get; init; }

    /// <summary>Opaque shop id; Shopware generates 16 alphanumeric characters.</summary>
    public string ShopId { get; init; } = RandomAlphanumeric(16);

    /// <summary>Path of APP_URL below the simulator's origin, e.g. "/staging/". Empty: the origin itself.</summary>
    public string ShopPath { get; init; } = "";

    /// <summary>
    /// APP_URL as configured, when it is not the simulator's own address: a staging clone that kept the
    /// production URL. Shopware sends it as shop-url; whatever answers there is not this shop.
    /// </summary>
    public string? AppUrl { get; init; }

    /// <summary>Relay endpoints, relative to the relay client's base address (or absolute).</summary>
    public string RegistrationUrl { get; init; } = "/shopware/register";
    public string WebhookUrl { get; init; } = "/shopware/webhook";
    public string LifecycleUrl { get; init; } = "/shopware/lifecycle";
    public string ModuleUrl { get; init; } = "/shopware/module";

    public string ShopwareVersion { get; init; } = "6.6.10.0";
    public string AppVersion { get; init; } = "1.0.0";

    /// <summary>Newer Shopware (6.7 rotation work) signs re-registrations with the current shop secret as well.</summary>
    public bool SendsDualSignatures { get; init; } = true;

    /// <summary>The WEBHOOKS_REWORK flag (6.8, or 6.7 with the flag on): delivery headers, sequence, Shopware's own retries.</summary>
    public bool WebhooksRework { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>shopware.api.access_token_ttl, PT10M by default.</summary>
    public TimeSpan TokenLifetime { get; init; } = TimeSpan.FromMinutes(10);

    internal static string RandomAlphanumeric(int length) =>
        RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", length);
}

/// <summary>What one registration attempt looked like from the shop's side.</summary>
public sealed record ShopwareRegistrationOutcome(
    HttpStatusCode RegistrationStatus,
    string? RegistrationBody,
    bool ProofValid,
    HttpStatusCode? ConfirmationStatus,
    string? NewSecret)
{
    public bool Succeeded => ConfirmationStatus is { } s && (int)s is >= 200 and < 300;
}

/// <summary>
/// A Shopware 6 shop for tests, written from protocols/shopware.md: it installs the app against the
/// relay exactly as the core does (registration GET signed with the app secret, proof check,
/// confirmation signed with the returned secret, dual signatures once it holds a secret), sends signed
/// webhooks with PHP's JSON encoding, builds signed module URLs, and serves an in-memory Admin API on a
/// real Kestrel port (OAuth client credentials, search, PATCH) with rate limiting and failures on demand.
/// </summary>
public sealed class ShopwareShopSimulator : IAsyncDisposable
{
    private SimulatorHost _host;
    private readonly HttpClient _relay;
    private readonly ShopwareShopSimulatorOptions _options;
    private readonly ShopwareAdminApi _api;
    private readonly List<ShopwareWebhookDelivery> _outbox = [];
    private long _sequence;

    private ShopwareShopSimulator(SimulatorHost host, HttpClient relay, ShopwareShopSimulatorOptions options, ShopwareAdminApi api)
    {
        _host = host;
        _relay = relay;
        _options = options;
        _api = api;
        WebhooksRework = options.WebhooksRework;
    }

    /// <summary>Whether the shop runs with WEBHOOKS_REWORK; a merchant can switch the flag on a running shop.</summary>
    public bool WebhooksRework { get; set; }

    /// <summary>Starts the shop on 127.0.0.1 with a free port. <paramref name="relay"/> reaches the relay (e.g. a WebApplicationFactory client).</summary>
    public static Task<ShopwareShopSimulator> StartAsync(HttpClient relay, ShopwareShopSimulatorOptions options) =>
        StartAsync(relay, options, new ShopwareAdminApi(options.Time, options.TokenLifetime));

    private static async Task<ShopwareShopSimulator> StartAsync(HttpClient relay, ShopwareShopSimulatorOptions options, ShopwareAdminApi api)
    {
        ShopwareShopSimulator? shop = null;
        var host = await ServeAsync(options, api, () => shop!, options.Port);
        return shop = new ShopwareShopSimulator(host, relay, options, api);
    }

    private static Task<SimulatorHost> ServeAsync(ShopwareShopSimulatorOptions options, ShopwareAdminApi api, Func<ShopwareShopSimulator> shop, int port) =>
        SimulatorHost.StartAsync(app =>
        {
            // At the origin, not under APP_URL: the control routes are the simulator's, not the shop's.
            ShopwareShopControl.Map(app, shop);
            if (options.ShopPath.Trim('/').Length > 0)
                app.UsePathBase("/" + options.ShopPath.Trim('/'));
            api.Map(app);
        }, port);

    /// <summary>http://127.0.0.1:{port}</summary>
    public string Origin => _host.BaseUrl;

    /// <summary>APP_URL: what Shopware sends as shop-url and what the Admin API lives under.</summary>
    public string ShopUrl => _options.AppUrl
        ?? (_options.ShopPath.Trim('/').Length > 0 ? $"{Origin}/{_options.ShopPath.TrimStart('/')}" : Origin);

    public string ShopId => _options.ShopId;

    /// <summary>The committed shop secret (app.app_secret), null before the first successful registration.</summary>
    public string? ShopSecret { get; private set; }

    /// <summary>Secrets whose confirmation had no clear answer (5xx/timeout), newest first, at most 5.</summary>
    public List<string> UnconfirmedSecrets { get; } = [];

    /// <summary>The integration's access key pair, valid for the Admin API after a confirmed registration.</summary>
    public string? ApiKey => _api.ClientId;
    public string? SecretKey => _api.ClientSecret;

    public ShopwareAdminApi Api => _api;

    // ---- Registration (protocol §1) ---------------------------------------------------------

    /// <summary>Registration, app.installed, app.activated: what "install and activate" does in the shop.</summary>
    public async Task<ShopwareRegistrationOutcome> InstallAsync(bool encodeShopUrl = false)
    {
        var outcome = await RegisterAsync(encodeShopUrl);
        if (!outcome.Succeeded) return outcome;
        await EnsureSuccess(await SendLifecycleAsync("app.installed", new JsonObject { ["appVersion"] = _options.AppVersion }));
        await EnsureSuccess(await SendLifecycleAsync("app.activated", new JsonArray()));
        return outcome;
    }

    /// <summary>
    /// One registration as Shopware's AppRegistrationService runs it. <paramref name="signShopWith"/>
    /// overrides the secret for shopware-shop-signature(-previous) (recovery tries several candidates).
    /// </summary>
    public async Task<ShopwareRegistrationOutcome> RegisterAsync(bool encodeShopUrl = false, string? signShopWith = null, string? appSecret = null,
        bool confirm = true)
    {
        var query = RegistrationQuery(encodeShopUrl, _options.Time.GetUtcNow().ToUnixTimeSeconds());
        var currentSecret = signShopWith ?? ShopSecret;
        using var response = await SendRegistrationRequestAsync(query,
            Sign(appSecret ?? _options.AppSecret, query),
            _options.SendsDualSignatures && currentSecret is not null ? Sign(currentSecret, query) : null);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            return new ShopwareRegistrationOutcome(response.StatusCode, body, false, null, null);

        using var answer = JsonDocument.Parse(body);
        var proof = answer.RootElement.GetProperty("proof").GetString()?.Trim() ?? "";
        var expectedProof = Sign(_options.AppSecret, ShopId + ShopUrl + _options.AppName);
        var proofValid = CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(proof), Encoding.UTF8.GetBytes(expectedProof));
        var secret = answer.RootElement.GetProperty("secret").GetString()!;
        var confirmationUrl = answer.RootElement.GetProperty("confirmation_url").GetString()!;
        // confirm=false: the shop gives up after the app's answer (the process died, the admin cancelled).
        if (!proofValid || secret == ShopSecret || !confirm)
            return new ShopwareRegistrationOutcome(response.StatusCode, body, proofValid, null, secret);

        // New integration keys come with every registration; they work once the app accepted them.
        var apiKey = "SWIA" + ShopwareShopSimulatorOptions.RandomAlphanumeric(22).ToUpperInvariant();
        var secretKey = ShopwareShopSimulatorOptions.RandomAlphanumeric(40);
        var confirmation = PhpJson(new JsonObject
        {
            ["apiKey"] = apiKey,
            ["secretKey"] = secretKey,
            ["timestamp"] = _options.Time.GetUtcNow().ToUnixTimeSeconds().ToString(),
            ["shopUrl"] = ShopUrl,
            ["shopId"] = ShopId,
        });
        using var confirmed = await SendConfirmationAsync(confirmationUrl, confirmation, Sign(secret, confirmation),
            currentSecret is not null && _options.SendsDualSignatures ? Sign(currentSecret, confirmation) : null);

        var status = (int)confirmed.StatusCode;
        if (status is >= 200 and < 300)
        {
            ShopSecret = secret;
            UnconfirmedSecrets.Clear();
            _api.SetIntegration(apiKey, secretKey);
        }
        else if (status >= 500)
        {
            UnconfirmedSecrets.Insert(0, secret);
            if (UnconfirmedSecrets.Count > 5) UnconfirmedSecrets.RemoveAt(5);
        }
        return new ShopwareRegistrationOutcome(response.StatusCode, body, proofValid, confirmed.StatusCode, secret);
    }

    // ---- Shop identity (protocol §1.5): moves, staging clones, uninstall --------------------

    /// <summary>
    /// The shop moves to a new server: the same database (shop id, secret, rows) answers at a new address
    /// and the old one is gone. Shopware then sends nothing to apps until an admin resolves the shop id
    /// change: <see cref="RegisterAsync"/> is the move-shop-permanently strategy (same shop id, new
    /// shop-url, signed with the current secret).
    /// </summary>
    public async Task MoveAsync()
    {
        if (_options.AppUrl is not null) throw new InvalidOperationException("A shop with a configured AppUrl cannot move by itself.");
        var old = _host;
        _host = await ServeAsync(_options, _api, () => this, port: 0);
        await old.DisposeAsync();
    }

    /// <summary>
    /// A copy of this shop's database on another server (staging), resolved with the reinstall-apps
    /// strategy: a new shop id, the rows and the app's committed secret copied with the database.
    /// <paramref name="sameUrl"/>: the copy kept this shop's APP_URL (so its shop-url names the production
    /// server). Call <see cref="InstallAsync"/> on it for the strategy's registration, app.installed and
    /// app.activated; dispose it as any simulator.
    /// </summary>
    public async Task<ShopwareShopSimulator> CloneAsStagingAsync(bool sameUrl = false)
    {
        var options = _options with
        {
            ShopId = ShopwareShopSimulatorOptions.RandomAlphanumeric(16),
            AppUrl = sameUrl ? ShopUrl : null,
            Port = 0,
        };
        var clone = await StartAsync(_relay, options, _api.CopyData());
        clone.ShopSecret = ShopSecret;
        return clone;
    }

    /// <summary>
    /// Uninstall in the extension manager: app.deactivated, then app.deleted with keepUserData as the
    /// merchant chose (null: older Shopware, whose payload is []). Newer Shopware stashes the secret and
    /// signs a reinstall's registration with it; older Shopware forgets it.
    /// </summary>
    public async Task<HttpResponseMessage> UninstallAsync(bool? keepUserData)
    {
        using (await SendLifecycleAsync("app.deactivated", new JsonArray())) { }
        var deleted = await SendLifecycleAsync("app.deleted", keepUserData is { } keep ? new JsonObject { ["keepUserData"] = keep } : new JsonArray());
        if (!_options.SendsDualSignatures) ShopSecret = null;
        return deleted;
    }

    /// <summary>shop-id, shop-url, timestamp in Guzzle's order; shop-url unencoded (current Guzzle) or fully encoded (the docs' example).</summary>
    public string RegistrationQuery(bool encodeShopUrl, long timestamp) =>
        $"shop-id={ShopId}&shop-url={(encodeShopUrl ? Uri.EscapeDataString(ShopUrl) : ShopUrl)}&timestamp={timestamp}";

    public Task<HttpResponseMessage> SendRegistrationRequestAsync(string rawQuery, string? appSignature, string? shopSignature = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, _options.RegistrationUrl + "?" + rawQuery);
        AddShopwareHeaders(request);
        if (appSignature is not null) request.Headers.Add("shopware-app-signature", appSignature);
        if (shopSignature is not null) request.Headers.Add("shopware-shop-signature", shopSignature);
        return _relay.SendAsync(request);
    }

    public Task<HttpResponseMessage> SendConfirmationAsync(string confirmationUrl, string body, string? signature, string? previousSignature = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, confirmationUrl) { Content = RawJson(body) };
        AddShopwareHeaders(request);
        if (signature is not null) request.Headers.Add("shopware-shop-signature", signature);
        if (previousSignature is not null) request.Headers.Add("shopware-shop-signature-previous", previousSignature);
        return _relay.SendAsync(request);
    }

    // ---- Webhooks (protocol §3) -------------------------------------------------------------

    /// <summary>The JSON body Shopware sends for <paramref name="eventName"/>, with its own json_encode quirks.</summary>
    public string WebhookBody(string eventName, JsonNode? payload, string? eventId = null, long? timestamp = null) => PhpJson(new JsonObject
    {
        ["data"] = new JsonObject { ["payload"] = payload ?? new JsonArray(), ["event"] = eventName },
        ["source"] = new JsonObject
        {
            ["url"] = ShopUrl,
            ["eventId"] = eventId ?? ShopwareIds.New(),
            ["shopId"] = ShopId,
            ["appVersion"] = _options.AppVersion,
        },
        ["timestamp"] = timestamp ?? _options.Time.GetUtcNow().ToUnixTimeSeconds(),
    });

    /// <summary>An event happens and its webhook is made (and sent once with <see cref="DeliverAsync"/>).</summary>
    public Task<HttpResponseMessage> SendWebhookAsync(string eventName, JsonNode? payload, string? eventId = null, long? timestamp = null, string? signWith = null) =>
        DeliverAsync(NewWebhook(eventName, payload, eventId), timestamp, signWith);

    /// <summary>
    /// The webhook Shopware makes when an event happens. With the rework it goes into the outbox and gets the
    /// app's next sequence number now, in the order events happen, whenever it is sent.
    /// </summary>
    public ShopwareWebhookDelivery NewWebhook(string eventName, JsonNode? payload, string? eventId = null) =>
        new(eventName, payload, eventId ?? ShopwareIds.New(), WebhooksRework ? Interlocked.Increment(ref _sequence) : null);

    /// <summary>Shopware's retry schedule under WEBHOOKS_REWORK (ADR 2026-04-14); after the last one the delivery fails.</summary>
    public static readonly TimeSpan[] ReworkRetrySchedule =
        [TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(4)];

    /// <summary>
    /// One attempt of <paramref name="delivery"/>: the body is built and signed afresh (a new timestamp each
    /// time), a sequenced delivery carries the rework headers with its attempt number (0 first). Sending
    /// the same delivery again is a retry, whoever decides it (the outbox, or a test replaying it late).
    /// A sequenced delivery that is not answered 2xx waits in the outbox for its next retry.
    /// </summary>
    public async Task<HttpResponseMessage> DeliverAsync(ShopwareWebhookDelivery delivery, long? timestamp = null, string? signWith = null)
    {
        var request = SignedRequest(_options.WebhookUrl, WebhookBody(delivery.EventName, delivery.Payload?.DeepClone(), delivery.EventId, timestamp), signWith);
        var attempt = delivery.Attempts++;
        if (delivery.Sequence is { } sequence)
        {
            request.Headers.Add(ShopwareWebhookDelivery.EventIdHeader, delivery.EventId);
            request.Headers.Add(ShopwareWebhookDelivery.SequenceHeader, sequence.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add(ShopwareWebhookDelivery.AttemptHeader, attempt.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        HttpResponseMessage? response = null;
        try
        {
            response = await _relay.SendAsync(request);
        }
        finally
        {
            if (delivery.Sequence is not null) Outbox(delivery, response?.IsSuccessStatusCode == true);
        }
        return response;
    }

    private void Outbox(ShopwareWebhookDelivery delivery, bool delivered)
    {
        lock (_outbox)
        {
            _outbox.Remove(delivery);
            if (delivered || delivery.Attempts > ReworkRetrySchedule.Length) return;
            delivery.DueAt = _options.Time.GetUtcNow() + ReworkRetrySchedule[delivery.Attempts - 1];
            _outbox.Add(delivery);
        }
    }

    /// <summary>Deliveries waiting for a retry, oldest due first.</summary>
    public IReadOnlyList<ShopwareWebhookDelivery> PendingWebhooks
    {
        get { lock (_outbox) return _outbox.OrderBy(d => d.DueAt).ToList(); }
    }

    /// <summary>Sends every retry that is due by the shop's clock, oldest due first; returns how many were sent.</summary>
    public async Task<int> RetryDueWebhooksAsync()
    {
        var now = _options.Time.GetUtcNow();
        var due = PendingWebhooks.Where(d => d.DueAt <= now).ToList();
        foreach (var delivery in due)
            (await DeliverAsync(delivery)).Dispose();
        return due.Count;
    }

    public Task<HttpResponseMessage> SendLifecycleAsync(string eventName, JsonNode? payload, string? signWith = null) =>
        SendSignedAsync(_options.LifecycleUrl, WebhookBody(eventName, payload), signWith);

    /// <summary>Posts a body signed with the shop secret (or <paramref name="signWith"/>); the body is sent byte for byte.</summary>
    public Task<HttpResponseMessage> SendSignedAsync(string url, string body, string? signWith = null) =>
        _relay.SendAsync(SignedRequest(url, body, signWith));

    private HttpRequestMessage SignedRequest(string url, string body, string? signWith)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = RawJson(body) };
        AddShopwareHeaders(request);
        var secret = signWith ?? ShopSecret;
        if (secret is not null) request.Headers.Add("shopware-shop-signature", Sign(secret, body));
        return request;
    }

    // ---- Permissions ------------------------------------------------------------------------

    /// <summary>
    /// The merchant takes permissions away in the app's settings: the ACL role changes at once (calls that
    /// need them answer 403), then app.permissions.updated tells the app what it still has.
    /// </summary>
    public Task<HttpResponseMessage> RevokePermissionsAsync(params string[] permissions) => ChangePermissionsAsync(permissions, granted: false);

    /// <summary>The merchant grants permissions (again).</summary>
    public Task<HttpResponseMessage> GrantPermissionsAsync(params string[] permissions) => ChangePermissionsAsync(permissions, granted: true);

    private Task<HttpResponseMessage> ChangePermissionsAsync(string[] permissions, bool granted)
    {
        foreach (var permission in permissions) _api.SetPermission(permission, granted);
        return SendLifecycleAsync("app.permissions.updated",
            new JsonObject { ["permissions"] = new JsonArray(_api.GrantedPermissions.Select(p => (JsonNode?)p).ToArray()) });
    }

    // ---- Admin module (protocol §4) ---------------------------------------------------------

    /// <summary>The iframe src QuerySigner::signUri produces for the module URL.</summary>
    public string ModuleUrl(long? timestamp = null, string? signWith = null, string userLanguage = "en-GB")
    {
        var query = $"shop-id={ShopId}&shop-url={ShopUrl}&timestamp={timestamp ?? _options.Time.GetUtcNow().ToUnixTimeSeconds()}" +
                    $"&sw-version={_options.ShopwareVersion}&sw-context-language={ShopwareIds.DefaultLanguage}&sw-user-language={userLanguage}";
        var secret = signWith ?? ShopSecret ?? throw new InvalidOperationException("The app is not registered: no shop secret to sign with.");
        return $"{_options.ModuleUrl}?{query}&shopware-shop-signature={Sign(secret, query)}";
    }

    // ---- Helpers ----------------------------------------------------------------------------

    public static string Sign(string key, string message) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(message)));

    /// <summary>PHP json_encode with default flags: '/' is escaped as "\/" and non-ASCII as \uXXXX.</summary>
    public static string PhpJson(JsonNode node) =>
        node.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Default }).Replace("/", "\\/");

    private void AddShopwareHeaders(HttpRequestMessage request)
    {
        request.Headers.Add("sw-version", _options.ShopwareVersion);
        request.Headers.Add("sw-context-language", ShopwareIds.DefaultLanguage);
        request.Headers.Add("sw-user-language", "en-GB");
    }

    private static ByteArrayContent RawJson(string body)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static async Task EnsureSuccess(HttpResponseMessage response)
    {
        using (response)
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"The relay answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}

/// <summary>
/// One webhook as Shopware's outbox holds it (protocol §3.2): event id and, under WEBHOOKS_REWORK, the
/// sequence are fixed when the event happens; <see cref="Attempts"/> counts the sends so far.
/// </summary>
public sealed class ShopwareWebhookDelivery(string eventName, JsonNode? payload, string eventId, long? sequence)
{
    public const string EventIdHeader = "X-Shopware-Event-Id";
    public const string SequenceHeader = "X-Shopware-Sequence";
    public const string AttemptHeader = "X-Shopware-Attempt";

    public string EventName { get; } = eventName;
    public JsonNode? Payload { get; } = payload;
    public string EventId { get; } = eventId;
    public long? Sequence { get; } = sequence;
    public int Attempts { get; internal set; }
    public DateTimeOffset DueAt { get; internal set; }
}
