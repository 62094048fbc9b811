using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Relay.Mapping;
using Relay.Platforms;
using Relay.Settings;
using Relay.Storage;
using Relay.Sync;
using Relay.Targets;

namespace Relay.Admin;

// What the page's till section sends and receives.

/// <param name="Tills">The tills the relay can connect, with what each asks for.</param>
/// <param name="WebhookPath">Where the connected till sends its webhooks (the page adds its own origin); null: it has none.</param>
public sealed record AdminPosView(
    int Version, DateTimeOffset? UpdatedAt, AdminTargetView? Till, string? WebhookPath, bool Enabled, bool SyncProducts, bool SyncStock, bool SyncOrders,
    OverwriteOnUpdate Overwrite, FieldMapping ProductFields, AdminProductFieldChoices ProductFieldChoices, string StockCalculation, bool ManageStock, IReadOnlyList<string> OrderStatuses, bool OrdersAsInvoice,
    long? DefaultDebtor, IReadOnlyDictionary<string, string> PaymentMethods, int PollSeconds, IReadOnlyList<AdminTillProvider> Tills);

/// <param name="Till">The connected till's further product fields (the mapping's sources).</param>
/// <param name="Shop">The shop's product fields a mapping may fill, besides "customFields.{name}" (the targets).</param>
public sealed record AdminProductFieldChoices(IReadOnlyList<string> Till, IReadOnlyList<string> Shop);

public sealed record AdminTillProvider(string Kind, string DisplayName, IReadOnlyList<string> CredentialNames, IReadOnlyList<PosOption> Options);

/// <summary>A save; members left out keep their saved value, credentials left blank too.</summary>
public sealed record AdminPosInput
{
    public int? ExpectedVersion { get; init; }
    public AdminTargetInput? Till { get; init; }
    public bool? Enabled { get; init; }
    public bool? SyncProducts { get; init; }
    public bool? SyncStock { get; init; }
    public bool? SyncOrders { get; init; }
    public OverwriteOnUpdate? Overwrite { get; init; }
    /// <summary>Further till fields onto shop product fields or "customFields.{name}".</summary>
    public FieldMapping? ProductFields { get; init; }
    /// <summary>freeMinusReserved (default), free, freeMinusReservedPlusIncoming, freePlusIncoming.</summary>
    public string? StockCalculation { get; init; }
    public bool? ManageStock { get; init; }
    public IReadOnlyList<string>? OrderStatuses { get; init; }
    public bool? OrdersAsInvoice { get; init; }
    /// <summary>0 clears it: customers are then found or created by e-mail.</summary>
    public long? DefaultDebtor { get; init; }
    public IReadOnlyDictionary<string, string>? PaymentMethods { get; init; }
    public int? PollSeconds { get; init; }
}

/// <summary>The shop's order statuses the till's order flow can start from, or why they could not be loaded.</summary>
public sealed record AdminPosOrderStatuses(IReadOnlyList<Orders.OrderStatus> Statuses, string? Message);

/// <param name="Waiting">Orders the till cannot take yet, with why.</param>
public sealed record AdminPosStatus(
    DateTimeOffset? LastRunAt, DateTimeOffset? LastSuccessAt, string? LastError, long ProductsWritten, long StockWritten, long OrdersQueued,
    IReadOnlyList<PosWaitingOrder> Waiting, int DeadLetters);

/// <summary>
/// The admin page's till section (<c>/admin/api/pos</c>): connect a till beside the marketing system,
/// choose how products, stock and orders flow, test the connection, see the last sync and what waits. It
/// names no till: what each asks for comes from its <see cref="IPosProvider"/>.
/// </summary>
public static class AdminPosApi
{
    public static RouteGroupBuilder MapAdminPos(this RouteGroupBuilder admin)
    {
        var group = admin.MapGroup("/pos");
        group.MapGet("", GetAsync).WithName("AdminGetPos");
        group.MapPut("", SaveAsync).WithName("AdminSavePos").ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/test", TestAsync).WithName("AdminTestPos");
        group.MapGet("/status", StatusAsync).WithName("AdminPosStatus");
        group.MapGet("/order-statuses", OrderStatusesAsync).WithName("AdminPosOrderStatuses")
            .WithSummary("The shop's order statuses (ids as the till's order statuses name them), read from the shop.");
        group.MapPost("/run", RunAsync).WithName("AdminRunPos");
        return group;
    }

    private static string ShopOf(ClaimsPrincipal user) => AdminSessions.ShopOf(user)!;

    private static AdminApi.ConnectionShape Shape(IPosProvider p) => new(p.Kind, p.DisplayName, p.CredentialNames, p.Options.Select(o => o.Name).ToList());

    private static AdminProductFieldChoices ProductFieldChoices(string shopKey, TargetSettings? till, PosFactory tills, ShopPlatforms platforms) =>
        new(till is null ? [] : tills.Provider(till.Kind)?.ProductFields ?? [], platforms.For(shopKey)?.Catalog?.ProductFields ?? []);

    private static AdminPosView View(string shopKey, PosSettings s, PosFactory tills, ShopPlatforms platforms) => new(
        s.Version, s.UpdatedAt,
        s.Till is { } till ? new AdminTargetView(till.Kind, till.BaseUrl, till.Credentials.Keys.Order(StringComparer.Ordinal).ToList(), till.Options) : null,
        s.Till is { } connected ? tills.Provider(connected.Kind)?.WebhookPath(shopKey) : null,
        s.Enabled, s.SyncProducts, s.SyncStock, s.SyncOrders, s.Overwrite, s.ProductFields, ProductFieldChoices(shopKey, s.Till, tills, platforms), Camel(s.StockCalculation.ToString()), s.ManageStock, s.OrderStatuses,
        s.OrdersAsInvoice, s.DefaultDebtor, s.PaymentMethods, s.PollSeconds,
        tills.Providers.OrderBy(p => p.DisplayName, StringComparer.OrdinalIgnoreCase)
            .Select(p => new AdminTillProvider(p.Kind, p.DisplayName, p.CredentialNames, p.Options)).ToList());

    internal static async Task<Ok<AdminPosView>> GetAsync(ClaimsPrincipal user, PosSettingsStore settings, PosFactory tills, ShopPlatforms platforms) =>
        TypedResults.Ok(View(ShopOf(user), await settings.GetWithoutCredentialsAsync(ShopOf(user)), tills, platforms));

    internal static async Task<Results<Ok<AdminPosView>, ValidationProblem, ProblemHttpResult>> SaveAsync(
        AdminPosInput input, ClaimsPrincipal user, PosSettingsStore settings, PosFactory tills, ShopPlatforms platforms, IOptions<AdminOptions> options, ILoggerFactory logs)
    {
        var shopKey = ShopOf(user);
        var current = await settings.GetAsync(shopKey);
        var errors = new Dictionary<string, string[]>();
        if (input.ExpectedVersion is null) errors["expectedVersion"] = ["Send the version of the settings you edited (0 for the first save)."];
        var till = current.Till;
        if (input.Till is { } entered)
        {
            if (tills.Provider(entered.Kind) is { } provider)
                till = AdminApi.ResolveConnection(entered, current.Till, Shape(provider), "till", options.Value, errors, requireCredentials: true);
            else
                errors["till.kind"] = [$"Choose a till ({string.Join(", ", tills.Providers.Select(p => p.Kind))})."];
        }
        var calculation = current.StockCalculation;
        if (input.StockCalculation is { } text && !Enum.TryParse(text, ignoreCase: true, out calculation))
            errors["stockCalculation"] = ["Choose freeMinusReserved, free, freeMinusReservedPlusIncoming or freePlusIncoming."];
        var poll = input.PollSeconds ?? current.PollSeconds;
        if (poll is < PosSettings.MinPollSeconds or > 86_400) errors["pollSeconds"] = [$"Pull from the till every {PosSettings.MinPollSeconds} to 86400 seconds."];
        var statuses = input.OrderStatuses?.Select(s => s.Trim()).Where(s => s.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList() ?? current.OrderStatuses.ToList();
        if (statuses.Count > 20 || statuses.Any(s => s.Length > 100)) errors["orderStatuses"] = ["Choose at most 20 statuses of at most 100 characters."];
        var payments = input.PaymentMethods ?? current.PaymentMethods;
        if (payments.Count > 50 || payments.Any(p => p.Key.Length is 0 or > 100 || p.Value.Length is 0 or > 100))
            errors["paymentMethods"] = ["Map at most 50 payment methods, each a shop and a till name of 1 to 100 characters."];
        var productFields = input.ProductFields ?? current.ProductFields;
        if (input.ProductFields is { } mapping)
        {
            var choices = ProductFieldChoices(shopKey, till, tills, platforms);
            FieldMappingRules.Validate("productFields", mapping, choices.Till, errors);
            for (var i = 0; i < mapping.Rules.Count; i++)
                if (mapping.Rules[i].Target is { } target && !choices.Shop.Contains(target) && !(ShopFields.IsCustomField(target) && target.Length <= 100))
                    errors.TryAdd($"productFields.rules[{i}].target", [$"Choose a shop product field ({string.Join(", ", choices.Shop)}) or customFields.<name>."]);
        }
        if (input.DefaultDebtor is < 0) errors["defaultDebtor"] = ["The default customer is the till's customer number (or 0 for none)."];
        var enabled = input.Enabled ?? current.Enabled;
        if (enabled && till is null) errors["enabled"] = ["Connect a till before switching it on."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "The till settings were not saved", detail: "Correct the marked fields and save again.");

        var next = current with
        {
            Till = till, Enabled = enabled,
            SyncProducts = input.SyncProducts ?? current.SyncProducts, SyncStock = input.SyncStock ?? current.SyncStock, SyncOrders = input.SyncOrders ?? current.SyncOrders,
            Overwrite = input.Overwrite ?? current.Overwrite, ProductFields = productFields, StockCalculation = calculation, ManageStock = input.ManageStock ?? current.ManageStock,
            OrderStatuses = statuses, OrdersAsInvoice = input.OrdersAsInvoice ?? current.OrdersAsInvoice,
            DefaultDebtor = input.DefaultDebtor is { } debtor ? (debtor == 0 ? null : debtor) : current.DefaultDebtor,
            PaymentMethods = payments, PollSeconds = poll,
        };
        // The till's own parser: an option it refuses is an error of the page, not of the first run.
        if (next.TillAccountFor(shopKey) is { } account)
            try { tills.Create(account); }
            catch (TargetConfigurationException e) { return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["till"] = [e.Message] }, title: "The till settings were not saved"); }
        var (outcome, saved) = await settings.SaveAsync(shopKey, next, input.ExpectedVersion!.Value);
        if (outcome == SaveOutcome.VersionConflict)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Changed elsewhere",
                detail: $"The till settings were saved elsewhere (now version {saved.Version}) after you loaded them. Reload, then save again.",
                extensions: new Dictionary<string, object?> { ["currentVersion"] = saved.Version });
        logs.CreateLogger("Relay.Admin").LogInformation("Till settings of {Shop} saved as version {Version}", shopKey, saved.Version);
        return TypedResults.Ok(View(shopKey, saved, tills, platforms));
    }

    /// <summary>Tests the entered till (body <c>{till}</c>) or the saved one.</summary>
    internal static async Task<Results<Ok<ConnectionTestResult>, ValidationProblem>> TestAsync(
        AdminPosInput? input, ClaimsPrincipal user, PosSettingsStore settings, PosFactory tills, IOptions<AdminOptions> options, CancellationToken ct)
    {
        var shopKey = ShopOf(user);
        var saved = await settings.GetAsync(shopKey);
        var errors = new Dictionary<string, string[]>();
        var till = saved.Till;
        if (input?.Till is { } entered && tills.Provider(entered.Kind) is { } chosen)
            till = AdminApi.ResolveConnection(entered, saved.Till, Shape(chosen), "till", options.Value, errors, requireCredentials: false);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "The connection was not tested");
        if (till is null || tills.Provider(till.Kind) is not { } provider)
            return TypedResults.Ok(new ConnectionTestResult(false, "configuration", "No till is chosen yet."));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Value.TargetCallTimeout);
        try
        {
            await tills.Create((saved with { Till = till }).TillAccountFor(shopKey)!).TestConnectionAsync(timeout.Token);
            return TypedResults.Ok(new ConnectionTestResult(true, "ok", $"Connected to {provider.DisplayName}."));
        }
        catch (Exception e) when (AdminApi.Failure(e, provider.DisplayName, options.Value, ct) is { } failure)
        {
            return TypedResults.Ok(new ConnectionTestResult(false, failure.Outcome, failure.Message));
        }
    }

    /// <summary>The shop's statuses through its platform's order reader, the one the till's order flow reads with.</summary>
    internal static async Task<Ok<AdminPosOrderStatuses>> OrderStatusesAsync(ClaimsPrincipal user, ShopPlatforms platforms, IOptions<AdminOptions> options, CancellationToken ct)
    {
        var shopKey = ShopOf(user);
        if (platforms.For(shopKey)?.Orders is not { } orders) return TypedResults.Ok(new AdminPosOrderStatuses([], AdminApi.NoShopOrders));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Value.TargetCallTimeout);
        var (statuses, failure) = await AdminApi.ShopOrderStatusesAsync(orders, shopKey, timeout.Token, ct);
        return TypedResults.Ok(new AdminPosOrderStatuses(statuses, failure));
    }

    /// <summary>The last sync, its counts, the orders that wait and the till's dead letters.</summary>
    internal static async Task<Ok<AdminPosStatus>> StatusAsync(ClaimsPrincipal user, PosSync sync, IRelayStore store)
    {
        var shopKey = ShopOf(user);
        var state = await sync.GetStateAsync(shopKey);
        var dead = (await store.ListDeadLettersAsync(shopKey, AdminApi.MaxDeadLettersShown)).Count(d => d.Event.Kind.StartsWith("pos.", StringComparison.Ordinal));
        return TypedResults.Ok(new AdminPosStatus(state.LastRunAt, state.LastSuccessAt, state.LastError is null ? null : TargetText.Safe(state.LastError),
            state.ProductsWritten, state.StockWritten, state.OrdersQueued, await sync.WaitingAsync(shopKey), dead));
    }

    /// <summary>Runs the shop's till sync now instead of at its interval (a second run at once is told it is busy).</summary>
    internal static async Task<Ok<PosRunView>> RunAsync(ClaimsPrincipal user, PosSync sync, CancellationToken ct)
    {
        var result = await sync.RunOnceAsync(ShopOf(user), ct);
        return TypedResults.Ok(PosRunView.Of(result));
    }

    private static string Camel(string name) => char.ToLowerInvariant(name[0]) + name[1..];
}

/// <param name="Outcome">done, skipped, busy or failed (see Reason).</param>
public sealed record PosRunView(string Outcome, int Products, int Rejected, int Stock, int Orders, string? Reason)
{
    public static PosRunView Of(PosRunResult r) =>
        new(r.Outcome.ToString().ToLowerInvariant(), r.Products, r.Rejected, r.Stock, r.Orders, r.Reason is null ? null : TargetText.Safe(r.Reason));
}
