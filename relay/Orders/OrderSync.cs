using Relay.Pipeline;
using Relay.Sync;
using Relay.Targets;

namespace Relay.Orders;

public enum OrderOutcome
{
    /// <summary>Created in the target, or brought to its paired status there.</summary>
    Sent,
    /// <summary>The target already has it in the paired status: nothing was called.</summary>
    Unchanged,
    /// <summary>Not sent now, and rightly so (status not chosen yet, order sync off); a later change sends it.</summary>
    NotYet,
    /// <summary>Waits for the merchant: its status is not paired. Sent by the next sync after pairing.</summary>
    Waiting,
    /// <summary>The order cannot go as it is (no e-mail, refused by the target); the reason is in the activity log.</summary>
    Failed,
}

/// <summary>
/// One order → the shop's order-keeping target (<see cref="IOrderTarget"/>): pair its status
/// (<see cref="OrderSettings.StatusPairs"/>; an unpaired status waits, it is never guessed), send it once
/// it reached a status it is sent from (<see cref="OrderSettings.SendFrom"/>), then only its changes,
/// remembering per order what the target holds (<see cref="OrderLedger"/>). Shared by the webhook
/// forwarders (live: failures are thrown to the pipeline, so they retry or become dead letters) and the
/// order sync (failures are counted and the page carries on). Every decision leaves an activity entry.
/// </summary>
public sealed class OrderSync(OrderLedger ledger, PurchaseFigures purchases, ContactSync activity, TimeProvider time)
{
    public const string ActivityKind = "order";
    public const string PurchaseActivityKind = "purchase";

    /// <summary>The target's order side, or null with the reason when this shop's orders go nowhere.</summary>
    public static (IOrderTarget? Target, string? Reason) TargetOf(SyncContext ctx) =>
        ctx.Target is not IOrderTarget target ? (null, $"{ctx.TargetKind} keeps no orders.")
        : !ctx.Settings.Orders.Enabled ? (null, "Sending orders is switched off.")
        : (target, null);

    /// <summary>
    /// Live: the order named by a webhook, as the shop holds it now: into the order-keeping target, and into
    /// its buyer's purchase figures when the mapping reads them (the buyer's contact is pushed when they change).
    /// </summary>
    public async Task<OrderOutcome> SendLiveAsync(SyncContext ctx, string orderId, string? eventId, CancellationToken ct)
    {
        var (target, reason) = TargetOf(ctx);
        var figures = PurchaseFigures.Mapped(ctx.Settings);
        if (target is null && !figures)
        {
            await activity.LogAsync(ctx, ActivityKind, ActivityOutcome.Skipped, reason!, null, eventId);
            return OrderOutcome.NotYet;
        }
        var orders = ctx.Platform.Orders ?? throw new PermanentFailureException($"The platform {ctx.Platform.Name} has no orders.");
        var order = await orders.GetAsync(ctx.ShopKey, orderId, ct);
        if (order is null)
        {
            await activity.LogAsync(ctx, ActivityKind, ActivityOutcome.Skipped, $"Order {orderId} no longer exists in the shop; nothing to send.", null, eventId);
            return OrderOutcome.NotYet;
        }
        if (figures && await purchases.ApplyAsync(ctx.ShopKey, order)) await PushBuyerAsync(ctx, order, eventId, ct);
        if (target is null) return OrderOutcome.NotYet;
        return await SendAsync(ctx, order, await ledger.GetAsync(ctx.Ledger, order.Id), live: true, eventId, ct);
    }

    /// <summary>
    /// An order deleted in the shop (a platform whose delete event still names the buyer): it no longer counts in
    /// the buyer's purchase figures, and the buyer is pushed when they changed. What a target keeps of the order stays.
    /// </summary>
    public async Task ForgetLiveAsync(SyncContext ctx, string orderId, string? email, string? eventId, CancellationToken ct)
    {
        if (!PurchaseFigures.Mapped(ctx.Settings) || email is null) return;
        var deleted = new ShopOrder { Id = orderId, Number = orderId, StatusId = "", Currency = "", Email = email, Voided = true };
        if (await purchases.ApplyAsync(ctx.ShopKey, deleted)) await PushBuyerAsync(ctx, deleted, eventId, ct);
    }

    /// <summary>
    /// The buyer's customer record, now carrying the changed figures, to the target. A guest without an
    /// account has no customer record: the figures wait for the next sync of the address's subscriber record.
    /// </summary>
    private async Task PushBuyerAsync(SyncContext ctx, ShopOrder order, string? eventId, CancellationToken ct)
    {
        var email = Mapping.ContactMapper.NormalizeEmail(order.Email);
        var customers = (await ctx.Shop.FindCustomersByEmailAsync(ctx.ShopKey, [email!], ct))
            .Where(c => Mapping.ContactMapper.NormalizeEmail(c.Email) == email).ToList();
        if (customers.Count == 0)
        {
            await activity.LogAsync(ctx, PurchaseActivityKind, ActivityOutcome.Skipped,
                $"Order {order.Number}: purchase figures updated; the buyer has no customer account, so they go with the next sync of the address.", order.Email, eventId);
            return;
        }
        await activity.PushAsync(ctx, customers, SyncMode.Live, eventId, ct);
    }

    /// <summary>
    /// Sends one order whose ledger entry (<paramref name="known"/>) the caller read. Live, a failure is
    /// thrown for the pipeline (a refusal as <see cref="PermanentFailureException"/>, with its reason);
    /// otherwise a refusal is an activity entry and <see cref="OrderOutcome.Failed"/>, and an outage is thrown
    /// so the sync stops and resumes later.
    /// </summary>
    public async Task<OrderOutcome> SendAsync(SyncContext ctx, ShopOrder order, OrderEntry? known, bool live, string? eventId, CancellationToken ct)
    {
        var (target, off) = TargetOf(ctx);
        if (target is null)
        {
            if (live) await activity.LogAsync(ctx, ActivityKind, ActivityOutcome.Skipped, off!, order.Email, eventId);
            return OrderOutcome.NotYet;
        }
        var settings = ctx.Settings.Orders;
        var label = $"Order {order.Number}";
        if (!settings.StatusPairs.TryGetValue(order.StatusId, out var status) || string.IsNullOrWhiteSpace(status))
        {
            await activity.LogAsync(ctx, ActivityKind, ActivityOutcome.Skipped,
                $"{label} waits: its shop status '{order.StatusId}' is not paired with a {ctx.TargetKind} status. Pair it on the admin page; the next sync sends it.", order.Email, eventId);
            return OrderOutcome.Waiting;
        }
        var sent = known?.Sent;
        if (sent is null && settings.SendFrom.Count > 0 && !settings.SendFrom.Contains(order.StatusId))
        {
            if (live) await activity.LogAsync(ctx, ActivityKind, ActivityOutcome.Skipped,
                $"{label} is not sent yet: its status '{order.StatusId}' is not one it is sent from.", order.Email, eventId);
            return OrderOutcome.NotYet;
        }
        if (sent is not null && sent.Status == status) return OrderOutcome.Unchanged;
        if (string.IsNullOrWhiteSpace(order.Email))
            return await RefuseAsync(ctx, $"{label} has no e-mail address: {ctx.TargetKind} files an order under its customer, found by e-mail.", order, live, eventId);
        if (sent is null && known?.CreatingSince is { } since)
            return await RefuseAsync(ctx,
                $"{label}: an earlier attempt to create it ({since:u}) got no answer, so {ctx.TargetKind} may have it already. Check there: the next attempt (a replay, the next sync) creates it again.",
                order, live, eventId, forgetCreate: true);
        if (sent is null && !await ledger.MarkCreatingAsync(ctx.Ledger, order.Id, time.GetUtcNow()))
            throw new TargetTransientException($"{label} is being created by another worker right now.");

        SentOrder result;
        try
        {
            result = await target.SendOrderAsync(order, status, sent, ct);
        }
        catch (OrderPartlySentException partly)
        {
            // Created: from now on only its status is moved, whatever happens to this attempt.
            await ledger.SaveAsync(ctx.Ledger, order.Id, new OrderEntry(partly.Sent.TargetId, partly.Sent.Status));
            var cause = partly.InnerException ?? partly;
            if (SyncFailures.IsPermanent(cause)) return await RefuseAsync(ctx, $"{label}: created in {ctx.TargetKind} as {partly.Sent.Status}, but {SyncFailures.Describe(cause)}", order, live, eventId);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(cause);
            throw;
        }
        catch (Exception e) when (sent is null && NotCreated(e))
        {
            await ledger.ForgetAsync(ctx.Ledger, order.Id);
            if (SyncFailures.IsPermanent(e)) return await RefuseAsync(ctx, $"{label}: {SyncFailures.Describe(e)}", order, live, eventId);
            throw;
        }
        catch (Exception e) when (sent is not null && SyncFailures.IsPermanent(e))
        {
            return await RefuseAsync(ctx, $"{label}: {SyncFailures.Describe(e)}", order, live, eventId);
        }
        await ledger.SaveAsync(ctx.Ledger, order.Id, new OrderEntry(result.TargetId, result.Status));
        await activity.LogAsync(ctx, ActivityKind, ActivityOutcome.Ok,
            sent is null ? $"{label} created in {ctx.TargetKind} as {result.Status}." : $"{label} moved to {result.Status} in {ctx.TargetKind}.", order.Email, eventId);
        return OrderOutcome.Sent;
    }

    /// <summary>
    /// A failure that proves the create did not happen: refused outright, or never sent (rate limit,
    /// open circuit). A timeout or a 5xx may have created it.
    /// </summary>
    private static bool NotCreated(Exception e) => e switch
    {
        TargetAuthException or TargetPermanentException or TargetConfigurationException => true,
        TargetTransientException t => t.Status is System.Net.HttpStatusCode.TooManyRequests or System.Net.HttpStatusCode.ServiceUnavailable
            || t.Code is "RATE_BUDGET" or "CIRCUIT_OPEN",
        _ => false,
    };

    private async Task<OrderOutcome> RefuseAsync(SyncContext ctx, string why, ShopOrder order, bool live, string? eventId, bool forgetCreate = false)
    {
        await activity.LogAsync(ctx, ActivityKind, ActivityOutcome.Failed, why, order.Email, eventId);
        // Reported once: the merchant has been told to look, and the next attempt creates it.
        if (forgetCreate) await ledger.ForgetAsync(ctx.Ledger, order.Id);
        if (live) throw new PermanentFailureException(why);
        return OrderOutcome.Failed;
    }
}
