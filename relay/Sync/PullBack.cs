using System.Text.Json;
using Microsoft.Extensions.Options;
using Relay.Mapping;
using Relay.Platforms;
using Relay.Shops;
using Relay.Storage;
using Relay.Targets;

namespace Relay.Sync;

/// <summary>Failed: the shop's settings, credentials, shop API or target failed; the reason is in its status (<see cref="SyncProblems"/>).</summary>
public enum PullBackOutcome { Done, Skipped, Busy, Failed }

public sealed record PullBackResult(PullBackOutcome Outcome, int OptedOut = 0, int Bounced = 0, string? Reason = null)
{
    /// <summary>What the platform's reconciliation that runs with the pull did (null when the platform has none, or it did not run).</summary>
    public ReconciliationResult? Reconciliation { get; init; }
}

/// <summary>Where a shop's pull-back stands: the target's cursor (valid for the target account it came from) and when it last ran.</summary>
public sealed record PullBackState(string? Cursor, DateTimeOffset? LastRunAt, string? Target = null);

/// <summary>
/// Target → shop: unsubscribes and hard bounces found in the marketing system become opt-outs in the
/// shop. One runner per shop across all instances (a lock with expiry, so a crashed runner does not
/// block the shop forever). Windows overlap, so every change is applied idempotently: an opt-out
/// the shop already has is only recorded. What the relay writes is marked for
/// <see cref="EchoSuppression"/>, so the shop's resulting webhook does not travel back.
/// </summary>
public sealed class PullBackRunner(
    IRelayStore store, SyncContexts contexts, ContactLedger ledger, ContactSync sync, SyncProblems problems,
    IOptions<SyncOptions> options, TimeProvider time, ILogger<PullBackRunner> logger)
{
    private static string StateKey(string shopKey) => StoreKeys.ShopItem(shopKey, "pullback");
    private static string LockKey(string shopKey) => StoreKeys.ShopItem(shopKey, "pullback:lock");

    public async Task<PullBackState> GetStateAsync(string shopKey) =>
        await store.GetAsync(StateKey(shopKey)) is { } json ? JsonSerializer.Deserialize<PullBackState>(json, JsonDefaults.Options)! : new PullBackState(null, null);

    public async Task<PullBackResult> RunOnceAsync(string shopKey, CancellationToken ct = default)
    {
        var owner = Guid.NewGuid().ToString("N");
        if (!await store.SetIfAbsentAsync(LockKey(shopKey), owner, options.Value.PullLockTimeout))
            return new PullBackResult(PullBackOutcome.Busy, Reason: "Another instance is pulling for this shop.");
        try
        {
            var (ctx, skip) = await contexts.ForShopAsync(shopKey);
            if (ctx is null)
            {
                await problems.ClearAsync(shopKey, SyncProblems.PullBack);
                return new PullBackResult(PullBackOutcome.Skipped, Reason: skip);
            }
            if (ctx.PauseOf(ShopFeature.WriteOptOuts) is { } pause)
                return await SkipPausedAsync(ctx, pause, ct);
            var result = await PullAsync(ctx, ct);
            await problems.ClearAsync(shopKey, SyncProblems.PullBack);
            return result;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // This shop's settings, credentials, shop or target: shown in its status and activity log; the
            // next run tries again, and no other shop waits for it.
            var reason = SyncFailures.Describe(e);
            logger.LogWarning("Pull-back for {ShopKey} failed: {Error}", shopKey, reason);
            await sync.LogAsync(shopKey, "pullback", ActivityOutcome.Failed, reason, null, null);
            await problems.ReportAsync(shopKey, SyncProblems.PullBack, reason);
            return new PullBackResult(PullBackOutcome.Failed, Reason: reason);
        }
        finally
        {
            await store.ReleaseLeaseAsync(LockKey(shopKey), owner);
        }
    }

    /// <summary>
    /// The shop may not take opt-outs now, so the target is not asked for them: its cursor stays where it
    /// is and the next run after the permission is back pulls everything from there. The run counts as
    /// done for the schedule, and the reconciliation (which needs other permissions) still runs.
    /// </summary>
    private async Task<PullBackResult> SkipPausedAsync(SyncContext ctx, FeaturePause pause, CancellationToken ct)
    {
        var state = await GetStateAsync(ctx.ShopKey);
        await store.SetAsync(StateKey(ctx.ShopKey), JsonSerializer.Serialize(state with { LastRunAt = time.GetUtcNow() }, JsonDefaults.Options));
        await problems.ReportAsync(ctx.ShopKey, SyncProblems.PullBack, pause.Reason);
        return new PullBackResult(PullBackOutcome.Skipped, Reason: pause.Reason) { Reconciliation = await ReconcileAsync(ctx, ct) };
    }

    private async Task<PullBackResult> PullAsync(SyncContext ctx, CancellationToken ct)
    {
        var state = await GetStateAsync(ctx.ShopKey);
        // Another target account's cursor means nothing to this one: start with its first-pull lookback.
        if (state.Target != ctx.Ledger.Target) state = state with { Cursor = null };
        var startedAt = time.GetUtcNow();
        int optedOut = 0, bounced = 0;
        string? cursor = state.Cursor;

        if (ctx.TargetProvider.PullsByAddress)
        {
            // No change feed: ask about the addresses the shop still mails, a chunk at a time.
            var chunk = new List<string>();
            await foreach (var email in ctx.Shop.SubscribedEmailsAsync(ctx.ShopKey, ct))
            {
                chunk.Add(email);
                if (chunk.Count < options.Value.PullAddressChunk) continue;
                (optedOut, bounced, cursor) = Add((optedOut, bounced), await ApplyAsync(ctx, await ctx.Target.PullChangesAsync(new PullRequest(state.Cursor, chunk), ct), ct));
                chunk = [];
            }
            if (chunk.Count > 0)
                (optedOut, bounced, cursor) = Add((optedOut, bounced), await ApplyAsync(ctx, await ctx.Target.PullChangesAsync(new PullRequest(state.Cursor, chunk), ct), ct));
        }
        else
            (optedOut, bounced, cursor) = await ApplyAsync(ctx, await ctx.Target.PullChangesAsync(new PullRequest(state.Cursor), ct), ct);

        await store.SetAsync(StateKey(ctx.ShopKey), JsonSerializer.Serialize(new PullBackState(cursor ?? state.Cursor, startedAt, ctx.Ledger.Target), JsonDefaults.Options));
        if (optedOut + bounced > 0)
            logger.LogInformation("Pull-back for {ShopKey}: {OptedOut} opt-outs, {Bounced} hard bounces written to the shop", ctx.ShopKey, optedOut, bounced);
        return new PullBackResult(PullBackOutcome.Done, optedOut, bounced) { Reconciliation = await ReconcileAsync(ctx, ct) };

        static (int, int, string?) Add((int O, int B) sum, (int O, int B, string? Cursor) next) => (sum.O + next.O, sum.B + next.B, next.Cursor);
    }

    /// <summary>
    /// After the pull, so what it just wrote into the shop is recognised as the relay's own. A failure
    /// here does not undo the pull: it is logged and the next run covers the same window again.
    /// </summary>
    private async Task<ReconciliationResult?> ReconcileAsync(SyncContext ctx, CancellationToken ct)
    {
        if (ctx.Platform.Reconciliation is not { } reconciliation) return null;
        try
        {
            var result = await reconciliation.RunAsync(ctx, ct);
            await problems.ClearAsync(ctx.ShopKey, SyncProblems.Reconcile);
            return result;
        }
        catch (Exception e) when (e is not OperationCanceledException && (SyncFailures.IsPermanent(e) || e is ShopApiException or HttpRequestException or ShopNotReachableException or TargetTransientException))
        {
            logger.LogWarning("Reconciliation of {ShopKey} failed: {Error}", ctx.ShopKey, SyncFailures.Describe(e));
            await sync.LogAsync(ctx, "reconcile", ActivityOutcome.Failed, $"Reconciliation with the shop failed: {SyncFailures.Describe(e)}", null, null);
            await problems.ReportAsync(ctx.ShopKey, SyncProblems.Reconcile, SyncFailures.Describe(e));
            return null;
        }
    }

    private async Task<(int OptedOut, int Bounced, string? Cursor)> ApplyAsync(SyncContext ctx, PullResult result, CancellationToken ct)
    {
        int optedOut = 0, bounced = 0;
        foreach (var change in result.Consent)
        {
            var entry = await ledger.GetAsync(ctx.Ledger, change.Key)
                ?? (change.Email is { } e ? await ledger.FindByEmailAsync(ctx.Ledger, e) : null);
            var email = change.Email ?? entry?.Email;
            if (email is null) continue;
            entry ??= new ContactEntry { Key = change.Key, Email = ContactMapper.NormalizeEmail(email), KnownInTarget = true };

            if (change.State != ConsentState.Unsubscribed)
            {
                // The relay never subscribes anyone in the shop: opt-ins belong to the shop. Remembered, though,
                // so the policy knows what the target has.
                await ledger.SaveAsync(ctx.Ledger, entry with { KnownInTarget = true, Target = new ConsentSide(change.State, change.At) });
                continue;
            }
            if (entry is { CreatedByRelay: true, Shop: null, Target: null })
                // The relay created it from a customer record and neither side ever spoke of a subscription:
                // a target may report a permission nobody set as disabled, which is no unsubscribe. Without this, the
                // first pull after a full sync searched the shop once for every customer.
                continue;
            if (entry.Shop is { State: not ConsentState.Unsubscribed } shopSide && ConsentPolicy.OptInIsClearlyNewer(shopSide.At, change.At, ctx.OrderWindow))
            {
                // The shop's opt-in is clearly newer; the forwarder decides whether it wins (a confirmed one does).
                // Closer than the window, the order is in doubt and the opt-out is written.
                await ledger.SaveAsync(ctx.Ledger, entry with { KnownInTarget = true, Target = new ConsentSide(change.State, change.At) });
                continue;
            }
            if (await OptOutInShopAsync(ctx, entry, email, change.At, $"Unsubscribed in {change.Source ?? ctx.TargetKind}", ct)) optedOut++;
        }
        foreach (var bounce in result.Bounces)
        {
            var entry = (bounce.Key is { } key ? await ledger.GetAsync(ctx.Ledger, key) : null)
                ?? await ledger.FindByEmailAsync(ctx.Ledger, bounce.Email)
                ?? new ContactEntry { Key = bounce.Key ?? ContactMapper.NormalizeEmail(bounce.Email)!, Email = ContactMapper.NormalizeEmail(bounce.Email), KnownInTarget = true };
            // A soft bounce is the mailbox's bad day, not a dead address.
            if (bounce.Kind == BounceKind.Soft) continue;
            if (entry.HardBouncedAt is not null && entry.Shop?.State == ConsentState.Unsubscribed) continue;
            // Neither shop has a bounce field in its API; a dead address stops being mailed by opting it out.
            entry = entry with { HardBouncedAt = bounce.At };
            if (await OptOutInShopAsync(ctx, entry, bounce.Email, bounce.At, $"Hard bounce in {ctx.TargetKind}", ct)) bounced++;
        }
        return (optedOut, bounced, result.NextCursor);
    }

    /// <summary>True when the shop changed. Already opted out on both sides: only recorded (overlapping windows repeat changes).</summary>
    private async Task<bool> OptOutInShopAsync(SyncContext ctx, ContactEntry entry, string email, DateTimeOffset at, string why, CancellationToken ct)
    {
        var target = new ConsentSide(ConsentState.Unsubscribed, at);
        if (entry.Shop?.State == ConsentState.Unsubscribed && entry.Target?.State == ConsentState.Unsubscribed)
        {
            await ledger.SaveAsync(ctx.Ledger, entry with { Target = entry.Target.At > at ? entry.Target : target });
            return false;
        }
        var changed = await sync.OptOutInShopAsync(ctx, email, why, null, ct);
        await ledger.SaveAsync(ctx.Ledger, entry with
        {
            KnownInTarget = true,
            Target = target,
            Shop = new ConsentSide(ConsentState.Unsubscribed, time.GetUtcNow()),
        });
        return changed > 0;
    }
}

/// <summary>
/// Runs each syncing shop's pull-back when its <c>PullInterval</c> has passed. Every instance runs
/// this loop; the runner's lock makes sure only one of them pulls a given shop at a time.
/// </summary>
public sealed class PullBackScheduler(
    ShopDirectory directory, Settings.ShopSettingsStore settings, PullBackRunner runner, SyncProblems problems,
    IOptions<SyncOptions> options, TimeProvider time, ILogger<PullBackScheduler> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        options.Value.BackgroundEnabled
            ? SchedulerLoop.RunAsync("Pull-back scheduling", RunDueAsync, options.Value.SchedulerTick, time, logger, stoppingToken)
            : Task.CompletedTask;

    /// <summary>
    /// One pass: every active, syncing shop whose interval has passed pulls once. Whatever fails for one
    /// shop (its settings, credentials, shop API, target, even its records in the store) is that shop's:
    /// noted in its status, and the pass goes on with the next shop.
    /// </summary>
    public async Task<int> RunDueAsync(CancellationToken ct = default)
    {
        var ran = 0;
        foreach (var shop in await directory.ListAsync())
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                if (shop.Status != ShopStatus.Active) continue;
                // Without credentials: deciding whether a shop is due must not depend on decrypting them.
                var s = await settings.GetWithoutCredentialsAsync(shop.Key);
                if (!s.SyncEnabled || s.Target is null) continue;
                var state = await runner.GetStateAsync(shop.Key);
                if (state.LastRunAt is { } last && time.GetUtcNow() - last < s.PullInterval) continue;
                if ((await runner.RunOnceAsync(shop.Key, ct)).Outcome == PullBackOutcome.Done) ran++;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Pull-back for {ShopKey} failed: {Error}", shop.Key, SyncFailures.Describe(e));
                try { await problems.ReportAsync(shop.Key, SyncProblems.PullBack, SyncFailures.Describe(e)); }
                catch (Exception again) when (again is not OperationCanceledException)
                {
                    logger.LogWarning("The failure of {ShopKey}'s pull-back could not be recorded: {Error}", shop.Key, again.Message);
                }
            }
        }
        return ran;
    }
}

/// <summary>The loop of every scheduler: a pass, then a tick's wait; a failed pass is logged and the next tick tries again.</summary>
public static class SchedulerLoop
{
    public static async Task RunAsync(string what, Func<CancellationToken, Task<int>> pass, TimeSpan tick, TimeProvider time, ILogger logger, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await pass(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "{What} failed; trying again next tick", what);
            }
            try { await Task.Delay(tick, time, stoppingToken); }
            catch (OperationCanceledException) { }
        }
    }
}
