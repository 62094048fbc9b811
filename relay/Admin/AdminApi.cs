using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Relay.Mapping;
using Relay.Platforms;
using Relay.Settings;
using Relay.Shops;
using Relay.Storage;
using Relay.Sync;
using Relay.Targets;

namespace Relay.Admin;

/// <summary>
/// The JSON API behind the admin page. Every route is authorised by the shop-scoped session token and
/// works on the token's shop only: no route takes a shop from the URL, and ids in the URL (dead
/// letters) are looked up inside that shop, so another shop's id is simply not found.
/// </summary>
public static partial class AdminApi
{
    public const string GroupPath = "/admin/api";
    public const int MaxDeadLettersShown = 200;

    public static IServiceCollection AddAdminApi(this IServiceCollection services)
    {
        services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.Section)
            .Validate(o => o.TargetCallTimeout >= TimeSpan.FromSeconds(1) && o.TargetCallTimeout <= TimeSpan.FromMinutes(2),
                "Admin:TargetCallTimeout must be between 00:00:01 and 00:02:00.")
            .Validate(o => o.QuietAfter >= TimeSpan.FromMinutes(10), "Admin:QuietAfter must be at least 00:10:00.")
            .ValidateOnStart();
        return services;
    }

    public static RouteGroupBuilder MapAdminApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup(GroupPath)
            .WithTags("Admin")
            .RequireAuthorization(AdminSessions.Scheme)
            .AddEndpointFilter(RequireInstalledShop)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        group.MapGet("/settings", GetSettingsAsync).WithName("AdminGetSettings");
        group.MapPut("/settings", SaveSettingsAsync).WithName("AdminSaveSettings").ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/targets", ListTargets).WithName("AdminListTargets");
        group.MapPost("/targets/test", TestConnectionAsync).WithName("AdminTestConnection");
        group.MapGet("/targets/fields", (ClaimsPrincipal user, ShopSettingsStore settings, TargetFactory targets, IOptions<AdminOptions> options, CancellationToken ct) =>
            DescribeTargetAsync(null, user, settings, targets, options, ct)).WithName("AdminSavedTargetFields").ProducesTargetProblems();
        group.MapPost("/targets/fields", DescribeTargetAsync).WithName("AdminTargetFields").ProducesTargetProblems();
        group.MapGet("/shop-fields", ShopFields).WithName("AdminShopFields");
        group.MapGet("/sync", GetSyncAsync).WithName("AdminGetSync");
        group.MapPost("/sync", StartSyncAsync).WithName("AdminStartSync").ProducesProblem(StatusCodes.Status409Conflict);
        group.MapDelete("/sync", CancelSyncAsync).WithName("AdminCancelSync");
        group.MapGet("/activity", ActivityAsync).WithName("AdminActivity");
        group.MapGet("/dead-letters", DeadLettersAsync).WithName("AdminDeadLetters");
        group.MapPost("/dead-letters/{id}/replay", ReplayAsync).WithName("AdminReplayDeadLetter").ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/status", StatusAsync).WithName("AdminStatus");
        group.MapGet("/shop-connection", ShopConnection).WithName("AdminShopConnection")
            .WithSummary("The ways the shop's platform lets the merchant connect the relay to the shop's API; none for most platforms.");
        group.MapAdminOrders();
        group.MapAdminPos();
        return group;
    }

    private static RouteHandlerBuilder ProducesTargetProblems(this RouteHandlerBuilder route) => route
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
        .ProducesProblem(StatusCodes.Status502BadGateway);

    private static ILogger Log(ILoggerFactory logs) => logs.CreateLogger("Relay.Admin");

    private static string ShopOf(ClaimsPrincipal user) =>
        AdminSessions.ShopOf(user) ?? throw new InvalidOperationException("The admin policy admits only tokens with a shop claim.");

    /// <summary>A token outlives an uninstall by up to its lifetime; after the uninstall it opens nothing.</summary>
    private static async ValueTask<object?> RequireInstalledShop(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        http.Response.Headers.CacheControl = "no-store";
        var shop = await http.RequestServices.GetRequiredService<ShopDirectory>().GetAsync(ShopOf(http.User));
        if (shop is null || shop.Status is ShopStatus.Deleted or ShopStatus.Pending)
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "App not installed",
                detail: "This shop has no active installation of the app. Install it again from the shop's extension store.");
        return await next(context);
    }

    /// <summary>The page renders the platform's choice and sends it to the platform's own route, which tests and stores it.</summary>
    internal static Ok<AdminShopConnection> ShopConnection(ClaimsPrincipal user, ShopPlatforms platforms) =>
        TypedResults.Ok(platforms.For(ShopOf(user)) is { ConnectionChoice: { } choice } platform
            ? new AdminShopConnection(platform.DisplayName, choice.Path, choice.Modes)
            : new AdminShopConnection(null, null, []));

    // ---- Settings -----------------------------------------------------------------------------

    internal static async Task<Ok<AdminSettingsView>> GetSettingsAsync(ClaimsPrincipal user, ShopSettingsStore settings, TargetFactory targets, ShopPlatforms platforms)
    {
        var shopKey = ShopOf(user);
        var saved = await settings.GetAsync(shopKey);
        return TypedResults.Ok(View(saved, DefaultMaps(shopKey, saved.Target?.Kind, targets, platforms)));
    }

    internal static async Task<Results<Ok<AdminSettingsView>, ValidationProblem, ProblemHttpResult>> SaveSettingsAsync(
        AdminSettingsInput input, ClaimsPrincipal user, ShopSettingsStore settings, TargetFactory targets, ShopPlatforms platforms,
        ShopSettingsValidator validator, FullSync sync, TargetBindings bindings, ShopDirectory shops, IOptions<AdminOptions> options, ILoggerFactory logs)
    {
        var shopKey = ShopOf(user);
        var current = await settings.GetAsync(shopKey);
        var errors = new Dictionary<string, string[]>();
        if (input.ExpectedVersion is null)
            errors["expectedVersion"] = ["Send the version of the settings you edited (0 for the first save)."];

        // Sections the page leaves out keep their saved value, as credentials do.
        var target = input.Target is { } entered ? ResolveTarget(entered, current.Target, targets, options.Value, errors, requireCredentials: true) : current.Target;
        var uniqueKey = current.UniqueKey;
        if (input.UniqueKey is { } keyText && !Enum.TryParse(keyText, ignoreCase: true, out uniqueKey))
            errors["uniqueKey"] = ["Choose email, customerNumber or shopId."];
        var pullMinutes = input.PullIntervalMinutes ?? (int)current.PullInterval.TotalMinutes;
        if (pullMinutes is < 5 or > 1440)
            errors["pullIntervalMinutes"] = ["The pull-back interval must be between 5 and 1440 minutes."];
        var lists = input.Lists?.Select(l => l.Trim()).Where(l => l.Length > 0).Distinct().ToList() ?? current.Lists.ToList();
        if (lists.Count > 50 || lists.Any(l => l.Length > 100))
            errors["lists"] = ["Choose at most 50 lists with ids of at most 100 characters."];
        FieldMappingRules.Validate("customers", input.Customers, FieldMappingRules.CustomerFields, errors);
        FieldMappingRules.Validate("subscribers", input.Subscribers, FieldMappingRules.SubscriberFields, errors);
        var syncEnabled = input.SyncEnabled ?? current.SyncEnabled;
        if (syncEnabled && target is null)
            errors["syncEnabled"] = ["Connect a marketing system before turning the sync on."];
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors, title: "The settings were not saved", detail: "Correct the marked fields and save again.");

        var next = current with
        {
            Target = target,
            // Left empty, a mapping stays empty: the sync then uses the target's default map, which the page shows.
            Customers = input.Customers ?? current.Customers,
            Subscribers = input.Subscribers ?? current.Subscribers,
            UniqueKey = uniqueKey,
            Lists = lists,
            EraseInTargetOnDelete = input.EraseInTargetOnDelete ?? current.EraseInTargetOnDelete,
            PullInterval = TimeSpan.FromMinutes(pullMinutes),
            SyncEnabled = syncEnabled,
            TimeZone = input.TimeZone is { } zone ? (string.IsNullOrWhiteSpace(zone) ? null : zone.Trim()) : current.TimeZone,
            Orders = input.Orders ?? current.Orders,
        };
        // The sync engine's own checks (option values the target's parser refuses, custom field names…).
        foreach (var (field, messages) in validator.Validate(next))
            errors.TryAdd(field, messages);
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors, title: "The settings were not saved", detail: "Correct the marked fields and save again.");
        if (await bindings.MoveBindingAsync(shopKey, current.Target, next.Target) is { } other)
        {
            var otherShop = await shops.GetAsync(other);
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "System already connected to another shop",
                detail: $"This {targets.Provider(next.Target!.Kind)?.DisplayName} system is already connected to the shop {otherShop?.Url ?? other} ({other}). It takes one webshop only: a second one would overwrite the first one's data. Disconnect it there first, or use another system.",
                extensions: new Dictionary<string, object?> { ["otherShop"] = other });
        }
        var (outcome, saved) = await settings.SaveAsync(shopKey, next, input.ExpectedVersion!.Value);
        if (outcome == SaveOutcome.VersionConflict) await bindings.MoveBindingAsync(shopKey, next.Target, current.Target);
        if (outcome == SaveOutcome.VersionConflict)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Changed elsewhere",
                detail: $"The settings were saved elsewhere (now version {saved.Version}) after you loaded them. Reload to see the changes, then save again.",
                extensions: new Dictionary<string, object?> { ["currentVersion"] = saved.Version });
        Log(logs).LogInformation("Admin settings of {Shop} saved as version {Version}", shopKey, saved.Version);
        // The first save that connects a target and turns the sync on brings the marketing system up to date.
        await sync.StartIfFirstConfigurationAsync(shopKey, current, saved);
        return TypedResults.Ok(View(saved, DefaultMaps(shopKey, saved.Target?.Kind, targets, platforms)));
    }

    /// <summary>The default map of a target for this shop's platform: the one the sync uses for a mapping left empty. Null without a target.</summary>
    private static FieldMaps? DefaultMaps(string shopKey, string? targetKind, TargetFactory targets, ShopPlatforms platforms) =>
        targetKind is not null && targets.Provider(targetKind) is { } provider && platforms.For(shopKey) is { } platform
            ? provider.DefaultMaps(platform.RecordShape)
            : null;

    /// <summary>The settings as the page edits them: a mapping left empty shows the default map the sync uses for it.</summary>
    internal static AdminSettingsView View(ShopSettings s, FieldMaps? defaults)
    {
        var effective = defaults is null ? s : s.WithDefaultMaps(defaults);
        return new(
            s.Version,
            s.UpdatedAt,
            s.Target is { } t
                ? new AdminTargetView(t.Kind, t.BaseUrl, t.Credentials.Where(c => !string.IsNullOrEmpty(c.Value)).Select(c => c.Key).Order(StringComparer.Ordinal).ToList(), t.Options)
                : null,
            effective.Customers,
            effective.Subscribers,
            Camel(s.UniqueKey.ToString()),
            s.Lists,
            s.EraseInTargetOnDelete,
            (int)s.PullInterval.TotalMinutes,
            s.SyncEnabled,
            s.TimeZone,
            s.Orders);
    }

    /// <summary>
    /// Entered target settings over the saved ones: a credential the page left blank keeps the stored
    /// value when the kind is unchanged (the page never has the value to send back).
    /// </summary>
    internal static TargetSettings? ResolveTarget(
        AdminTargetInput input, TargetSettings? saved, TargetFactory targets, AdminOptions options, Dictionary<string, string[]> errors, bool requireCredentials)
    {
        var provider = targets.Providers.FirstOrDefault(p => string.Equals(p.Kind, input.Kind, StringComparison.OrdinalIgnoreCase));
        if (provider is null)
        {
            errors["target.kind"] = [$"Choose a marketing system ({string.Join(", ", targets.Providers.Select(p => p.Kind))})."];
            return null;
        }
        return ResolveConnection(input, saved, new ConnectionShape(provider.Kind, provider.DisplayName, provider.CredentialNames, provider.OptionNames),
            "target", options, errors, requireCredentials);
    }

    /// <summary>What a connection form asks for: the system's kind and name, its credentials and options.</summary>
    internal sealed record ConnectionShape(string Kind, string DisplayName, IReadOnlyList<string> CredentialNames, IReadOnlyList<string> OptionNames);

    /// <summary>
    /// Entered connection settings (a marketing system's or a till's) over the saved ones, with errors keyed
    /// under <paramref name="field"/>: a credential left blank keeps the stored value of the same kind.
    /// </summary>
    internal static TargetSettings ResolveConnection(
        AdminTargetInput input, TargetSettings? saved, ConnectionShape provider, string field, AdminOptions options, Dictionary<string, string[]> errors, bool requireCredentials)
    {
        var sameKind = saved is not null && string.Equals(saved.Kind, provider.Kind, StringComparison.OrdinalIgnoreCase);

        foreach (var name in (input.Credentials?.Keys ?? []).Where(n => !provider.CredentialNames.Contains(n)))
            errors[$"{field}.credentials.{name}"] = [$"{provider.DisplayName} has no credential '{name}'."];
        var credentials = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in provider.CredentialNames)
        {
            var value = input.Credentials?.GetValueOrDefault(name)?.Trim();
            if (!string.IsNullOrEmpty(value))
            {
                if (value.Length > 2000) errors[$"{field}.credentials.{name}"] = ["This value is too long."];
                credentials[name] = value;
            }
            else if (sameKind && saved!.Credentials.TryGetValue(name, out var stored) && !string.IsNullOrEmpty(stored))
                credentials[name] = stored;
            else if (requireCredentials)
                errors[$"{field}.credentials.{name}"] = [$"Enter the {name}."];
        }

        var targetOptions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in input.Options ?? new Dictionary<string, string?>())
        {
            if (!provider.OptionNames.Contains(name))
                errors[$"{field}.options.{name}"] = [$"{provider.DisplayName} has no option '{name}'."];
            else if (value?.Trim() is { Length: > 0 } text)
            {
                if (text.Length > 500) errors[$"{field}.options.{name}"] = ["This value is too long."];
                targetOptions[name] = text;
            }
        }

        string? baseUrl = null;
        if (input.BaseUrl?.Trim() is { Length: > 0 } url)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(uri.UserInfo))
                errors[$"{field}.baseUrl"] = ["Enter an absolute https:// address, or leave it empty for the system's standard address."];
            else if (uri.Scheme == "http" && !options.AllowInsecureTargetUrls)
                errors[$"{field}.baseUrl"] = ["The address must start with https://."];
            else
                baseUrl = url;
        }
        return new TargetSettings { Kind = provider.Kind, BaseUrl = baseUrl, Credentials = credentials, Options = targetOptions };
    }

    // ---- Targets ------------------------------------------------------------------------------

    /// <summary>Each target with the default map the page offers for this shop's platform.</summary>
    internal static Ok<List<AdminTargetProvider>> ListTargets(ClaimsPrincipal user, TargetFactory targets, ShopPlatforms platforms)
    {
        var shopKey = ShopOf(user);
        return TypedResults.Ok(targets.Providers
            .OrderBy(p => p.DisplayName, StringComparer.OrdinalIgnoreCase)
            .Select(p => (Provider: p, Defaults: DefaultMaps(shopKey, p.Kind, targets, platforms)))
            .Select(t => new AdminTargetProvider(t.Provider.Kind, t.Provider.DisplayName, t.Provider.CredentialNames, t.Provider.OptionNames,
                t.Defaults?.Customers ?? new FieldMapping(), t.Defaults?.Subscribers ?? new FieldMapping()))
            .ToList());
    }

    /// <summary>The probe's entered settings over the saved ones, or the saved ones when nothing was entered.</summary>
    private static async Task<(TargetAccount? Account, ITargetProvider? Provider, Dictionary<string, string[]> Errors)> ProbeAccountAsync(
        AdminTargetProbe? probe, string shopKey, ShopSettingsStore settings, TargetFactory targets, AdminOptions options)
    {
        var errors = new Dictionary<string, string[]>();
        var saved = (await settings.GetAsync(shopKey)).Target;
        var target = probe?.Target is { } entered ? ResolveTarget(entered, saved, targets, options, errors, requireCredentials: false) : saved;
        var provider = target is null ? null : targets.Providers.FirstOrDefault(p => string.Equals(p.Kind, target.Kind, StringComparison.OrdinalIgnoreCase));
        return (target?.ToAccount(shopKey), provider, errors);
    }

    internal static async Task<Results<Ok<ConnectionTestResult>, ValidationProblem>> TestConnectionAsync(
        AdminTargetProbe? probe, ClaimsPrincipal user, ShopSettingsStore settings, TargetFactory targets, IOptions<AdminOptions> options,
        ILoggerFactory logs, CancellationToken ct)
    {
        var shopKey = ShopOf(user);
        var (account, provider, errors) = await ProbeAccountAsync(probe, shopKey, settings, targets, options.Value);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "The connection was not tested");
        if (account is null || provider is null)
            return TypedResults.Ok(new ConnectionTestResult(false, "configuration", "No marketing system is chosen yet."));

        ConnectionTestResult result;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Value.TargetCallTimeout);
        try
        {
            await targets.Create(account).TestConnectionAsync(timeout.Token);
            result = new ConnectionTestResult(true, "ok", $"Connected to {provider.DisplayName}.");
        }
        catch (Exception e) when (Failure(e, provider.DisplayName, options.Value, ct) is { } failure)
        {
            result = new ConnectionTestResult(false, failure.Outcome, failure.Message);
        }
        Log(logs).LogInformation("Connection test of {Shop} against {Target}: {Outcome}", shopKey, provider.Kind, result.Outcome);
        return TypedResults.Ok(result);
    }

    internal static async Task<Results<Ok<AdminTargetFields>, ValidationProblem, ProblemHttpResult>> DescribeTargetAsync(
        AdminTargetProbe? probe, ClaimsPrincipal user, ShopSettingsStore settings, TargetFactory targets, IOptions<AdminOptions> options, CancellationToken ct)
    {
        var (account, provider, errors) = await ProbeAccountAsync(probe, ShopOf(user), settings, targets, options.Value);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "The fields were not loaded");
        if (account is null || provider is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "No marketing system", detail: "Choose a marketing system and enter its credentials first.");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Value.TargetCallTimeout);
        try
        {
            var schema = await targets.Create(account).DescribeAsync(timeout.Token);
            return TypedResults.Ok(new AdminTargetFields(schema.Fields, schema.Lists));
        }
        catch (Exception e) when (Failure(e, provider.DisplayName, options.Value, ct) is { } failure)
        {
            var status = failure.Outcome == "unavailable" ? StatusCodes.Status502BadGateway : StatusCodes.Status422UnprocessableEntity;
            return TypedResults.Problem(statusCode: status, title: "The fields could not be loaded", detail: failure.Message,
                extensions: new Dictionary<string, object?> { ["outcome"] = failure.Outcome });
        }
    }

    /// <summary>What the merchant can do about a failed target call, in words. Null: a bug, let it surface as a 500.</summary>
    internal static (string Outcome, string Message)? Failure(Exception e, string system, AdminOptions options, CancellationToken request) => e switch
    {
        TargetAuthException auth => ("auth", $"{system} refused the credentials: {TargetText.Safe(auth.Message)}"),
        TargetConfigurationException config => ("configuration", TargetText.Safe(config.Message)),
        TargetPermanentException refused => ("refused", $"{system} refused the request: {TargetText.Safe(refused.Message)}"),
        TargetTransientException transient => ("unavailable", $"{system} could not be reached: {TargetText.Safe(transient.Message)}"),
        OperationCanceledException when !request.IsCancellationRequested =>
            ("unavailable", $"{system} did not answer within {options.TargetCallTimeout.TotalSeconds:0} seconds."),
        HttpRequestException http => ("unavailable", $"{system} could not be reached: {TargetText.Safe(http.Message)}"),
        _ => null,
    };

    internal static Ok<AdminShopFields> ShopFields() => TypedResults.Ok(new AdminShopFields(
        ContactFields.All, FieldMappingRules.CustomerFields, FieldMappingRules.SubscriberFields, FieldMappingRules.Transforms));

    // ---- Full sync ----------------------------------------------------------------------------

    internal static async Task<Ok<AdminSyncView>> GetSyncAsync(ClaimsPrincipal user, FullSync sync, TimeProvider time) =>
        TypedResults.Ok(SyncView(await sync.GetAsync(ShopOf(user)), time.GetUtcNow()));

    internal static async Task<Results<Accepted<AdminSyncView>, ProblemHttpResult>> StartSyncAsync(
        ClaimsPrincipal user, FullSync sync, ShopSettingsStore settings, TimeProvider time)
    {
        var shopKey = ShopOf(user);
        var saved = await settings.GetAsync(shopKey);
        if (saved.Target is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "No marketing system",
                detail: "Connect and save a marketing system before starting a full sync.");
        // The engine skips shops whose sync is off; starting one would only end as a failed run.
        if (!saved.SyncEnabled)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Synchronisation is off",
                detail: "Turn the synchronisation on under Options and save before starting a full sync.");
        return TypedResults.Accepted(GroupPath + "/sync", SyncView(await sync.StartAsync(shopKey), time.GetUtcNow()));
    }

    internal static async Task<Ok<AdminSyncView>> CancelSyncAsync(ClaimsPrincipal user, FullSync sync, TimeProvider time) =>
        TypedResults.Ok(SyncView(await sync.CancelAsync(ShopOf(user)), time.GetUtcNow()));

    /// <summary>Rate over the whole run so far; the ETA assumes it holds, which is good enough for a progress bar.</summary>
    internal static AdminSyncView SyncView(SyncProgress p, DateTimeOffset now)
    {
        var elapsed = p.StartedAt is { } started ? ((p.FinishedAt ?? now) - started).TotalSeconds : 0;
        double? rate = elapsed > 0 && p.Done > 0 ? p.Done / elapsed : null;
        double? percent = p.Total is > 0 ? Math.Min(100, Math.Round(p.Done * 100.0 / p.Total.Value, 1))
            : p.State == SyncState.Completed ? 100 : null;
        long? eta = p.State == SyncState.Running && p.Total is { } total && rate is > 0
            ? (long)Math.Ceiling(Math.Max(0, total - p.Done) / rate.Value)
            : null;
        return new AdminSyncView(Camel(p.State.ToString()), p.Done, p.Total, p.Failed, percent,
            rate is { } r ? Math.Round(r, 2) : null, eta, p.StartedAt, p.FinishedAt, p.Error is null ? null : TargetText.Safe(p.Error));
    }

    // ---- Activity and dead letters ------------------------------------------------------------

    internal static async Task<Results<Ok<List<AdminActivityEntry>>, ValidationProblem>> ActivityAsync(
        ClaimsPrincipal user, ActivityLog activity, string? outcome, int? limit)
    {
        ActivityOutcome? wanted = null;
        if (!string.IsNullOrEmpty(outcome))
        {
            if (!Enum.TryParse<ActivityOutcome>(outcome, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["outcome"] = ["Use ok, skipped, retrying or failed."] });
            wanted = parsed;
        }
        var entries = await activity.ReadAsync(ShopOf(user), Math.Clamp(limit ?? 100, 1, 500), wanted);
        // Masked where they are written; masked again here because a missed address would be shown to anyone with the page.
        return TypedResults.Ok(entries.Select(e => new AdminActivityEntry(
            e.At, e.Kind, Camel(e.Outcome.ToString()), TargetText.Safe(e.Message, 500),
            e.MaskedEmail is null ? null : TargetText.Safe(e.MaskedEmail), e.EventId)).ToList());
    }

    internal static async Task<Ok<List<AdminDeadLetter>>> DeadLettersAsync(ClaimsPrincipal user, IRelayStore store) =>
        TypedResults.Ok((await store.ListDeadLettersAsync(ShopOf(user), MaxDeadLettersShown))
            .Select(d => new AdminDeadLetter(d.Id, d.Event.EventId, d.Event.Kind, d.Attempts, TargetText.Safe(d.Error, 500), d.Event.AcceptedAt, d.DeadAt))
            .ToList());

    internal static async Task<Results<NoContent, ProblemHttpResult>> ReplayAsync(string id, ClaimsPrincipal user, IRelayStore store, ILoggerFactory logs)
    {
        var shopKey = ShopOf(user);
        // Replay looks the id up in this shop's dead letters only: another shop's id is not found.
        if (id.Length > 100 || !await store.ReplayDeadLetterAsync(shopKey, id))
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Dead letter not found",
                detail: "It may have been replayed already. Reload the list.");
        Log(logs).LogInformation("Dead letter {Id} of {Shop} replayed from the admin page", id, shopKey);
        return TypedResults.NoContent();
    }

    // ---- Status -------------------------------------------------------------------------------

    internal static async Task<Ok<AdminStatus>> StatusAsync(
        ClaimsPrincipal user, ShopDirectory shops, ShopPlatforms platforms, ShopSettingsStore settings, IRelayStore store, SyncProblems problems,
        ShopPauses pauses, ShopWebhookHealth webhookHealth, TimeProvider time, IOptions<AdminOptions> options)
    {
        var shopKey = ShopOf(user);
        var shop = (await shops.GetAsync(shopKey))!;
        var saved = await settings.GetWithoutCredentialsAsync(shopKey);
        var now = time.GetUtcNow();
        var quiet = options.Value.QuietAfter;
        var deadLetters = (await store.ListDeadLettersAsync(shopKey, 1000)).Count;
        var tokenHealth = shop.Status switch
        {
            ShopStatus.NeedsReinstall => "failing",
            ShopStatus.Inactive => "inactive",
            _ => "ok",
        };
        return TypedResults.Ok(new AdminStatus(
            shop.Key, shop.Platform, platforms.Named(shop.Platform)?.DisplayName ?? shop.Platform, shop.Url, Camel(shop.Status.ToString()), shop.StatusReason, shop.LastEventAt,
            shop.LastEventAt is { } last && now - last <= quiet, (int)Math.Round(quiet.TotalHours),
            tokenHealth, shop.Status == ShopStatus.NeedsReinstall, saved.Target is not null, saved.SyncEnabled, deadLetters, now,
            await problems.ListAsync(shopKey), await pauses.ListAsync(shopKey), await webhookHealth.GetAsync(shopKey)));
    }

    private static string Camel(string name) => char.ToLowerInvariant(name[0]) + name[1..];
}
