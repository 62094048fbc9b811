using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Relay.Orders;
using Relay.Platforms;
using Relay.Settings;
using Relay.Sync;
using Relay.Targets;

namespace Relay.Admin;

/// <summary>The shop's and the target's order statuses, for the merchant to pair.</summary>
/// <param name="Unpaired">Shop statuses the saved pairing leaves out: their orders wait (reported, never guessed).</param>
/// <param name="Message">Why a side could not be loaded, in words; null when both were.</param>
public sealed record AdminOrderStatuses(
    IReadOnlyList<OrderStatus> Shop, IReadOnlyList<OrderStatus> Target, IReadOnlyList<string> Unpaired, bool Ok, string Outcome, string? Message);

/// <summary>An order sync as the page shows it: the full sync's progress view, with what happened to the orders read.</summary>
/// <param name="Joined">The start found a sync already running: this is that one (one at a time per shop).</param>
public sealed record AdminOrderSyncView(AdminSyncView Progress, string Trigger, long Sent, long Waiting, bool Joined = false);

public static partial class AdminApi
{
    /// <summary>Order routes of the admin page: statuses to pair, and the order sync button.</summary>
    internal static void MapAdminOrders(this RouteGroupBuilder group)
    {
        group.MapGet("/orders/statuses", (ClaimsPrincipal user, ShopSettingsStore settings, TargetFactory targets, ShopPlatforms platforms, IOptions<AdminOptions> options, CancellationToken ct) =>
            OrderStatusesAsync(null, user, settings, targets, platforms, options, ct)).WithName("AdminSavedOrderStatuses");
        group.MapPost("/orders/statuses", OrderStatusesAsync).WithName("AdminOrderStatuses");
        group.MapGet("/orders/sync", GetOrderSyncAsync).WithName("AdminGetOrderSync");
        group.MapPost("/orders/sync", StartOrderSyncAsync).WithName("AdminStartOrderSync").ProducesProblem(StatusCodes.Status409Conflict);
    }

    /// <summary>
    /// Loaded on every connection test: the shop's statuses change (a new one added in its admin) and are
    /// loaded again each time. The target side accepts unsaved credentials, as the test does.
    /// </summary>
    internal static async Task<Results<Ok<AdminOrderStatuses>, ValidationProblem>> OrderStatusesAsync(
        AdminTargetProbe? probe, ClaimsPrincipal user, ShopSettingsStore settings, TargetFactory targets, ShopPlatforms platforms,
        IOptions<AdminOptions> options, CancellationToken ct)
    {
        var shopKey = ShopOf(user);
        var (account, provider, errors) = await ProbeAccountAsync(probe, shopKey, settings, targets, options.Value);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "The order statuses were not loaded");
        if (platforms.For(shopKey)?.Orders is not { } shopOrders)
            return TypedResults.Ok(new AdminOrderStatuses([], [], [], false, "unsupported", NoShopOrders));
        if (account is null || provider is null)
            return TypedResults.Ok(new AdminOrderStatuses([], [], [], false, "configuration", "Choose a system that keeps orders first."));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Value.TargetCallTimeout);
        IReadOnlyList<OrderStatus> target;
        try
        {
            if (targets.Create(account) is not IOrderTarget orderTarget)
                return TypedResults.Ok(new AdminOrderStatuses([], [], [], false, "unsupported", $"{provider.DisplayName} keeps no orders: only contacts are synced."));
            target = await orderTarget.ListOrderStatusesAsync(timeout.Token);
        }
        catch (Exception e) when (Failure(e, provider.DisplayName, options.Value, ct) is { } failure)
        {
            return TypedResults.Ok(new AdminOrderStatuses([], [], [], false, failure.Outcome, failure.Message));
        }
        var (shop, shopFailure) = await ShopOrderStatusesAsync(shopOrders, shopKey, timeout.Token, ct);
        if (shopFailure is not null) return TypedResults.Ok(new AdminOrderStatuses([], target, [], false, "shop", shopFailure));
        var pairs = (await settings.GetWithoutCredentialsAsync(shopKey)).Orders.StatusPairs;
        var unpaired = shop.Select(s => s.Id).Where(id => !pairs.ContainsKey(id)).ToList();
        return TypedResults.Ok(new AdminOrderStatuses(shop, target, unpaired, true, "ok", null));
    }

    internal const string NoShopOrders = "The relay does not read this shop platform's orders yet.";

    /// <summary>The shop's order statuses, or why the shop could not give them (words for the page, never an error).</summary>
    internal static async Task<(IReadOnlyList<OrderStatus> Statuses, string? Failure)> ShopOrderStatusesAsync(
        IShopOrders orders, string shopKey, CancellationToken timeout, CancellationToken request)
    {
        try
        {
            return (await orders.ListStatusesAsync(shopKey, timeout), null);
        }
        catch (Exception e) when (e is ShopApiException or ShopNotReachableException or HttpRequestException || e is OperationCanceledException && !request.IsCancellationRequested)
        {
            return ([], $"The shop's order statuses could not be loaded: {TargetText.Safe(e.Message)}");
        }
    }

    internal static async Task<Ok<AdminOrderSyncView>> GetOrderSyncAsync(ClaimsPrincipal user, OrderSyncJobs jobs, TimeProvider time) =>
        TypedResults.Ok(OrderSyncView(await jobs.GetAsync(ShopOf(user)), time.GetUtcNow()));

    /// <summary>Starts the order sync, or shows the running one: parallel runs would only overload the shop's API.</summary>
    internal static async Task<Results<Accepted<AdminOrderSyncView>, ProblemHttpResult>> StartOrderSyncAsync(
        ClaimsPrincipal user, OrderSyncJobs jobs, ShopSettingsStore settings, TimeProvider time)
    {
        var shopKey = ShopOf(user);
        var saved = await settings.GetWithoutCredentialsAsync(shopKey);
        if (saved.Target is null || !saved.SyncEnabled)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Synchronisation is off",
                detail: "Connect a system that keeps orders and turn the synchronisation on before syncing orders.");
        if (!saved.Orders.Enabled)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Orders are off",
                detail: "Pair the order statuses, switch sending orders on and save before syncing orders.");
        var (progress, joined) = await jobs.StartAsync(shopKey, "button");
        return TypedResults.Accepted(GroupPath + "/orders/sync", OrderSyncView(progress, time.GetUtcNow()) with { Joined = joined });
    }

    internal static AdminOrderSyncView OrderSyncView(OrderSyncProgress p, DateTimeOffset now) =>
        new(SyncView(p.AsSyncProgress(), now), p.Trigger, p.Sent, p.Waiting);
}
