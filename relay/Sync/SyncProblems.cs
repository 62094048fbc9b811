using System.Text.Json;
using Relay.Settings;
using Relay.Storage;

namespace Relay.Sync;

/// <summary>Why one of a shop's sync jobs failed on its last run, and since when it has been failing.</summary>
/// <param name="Job">"pullback", "fullsync", "reconcile", "orders", "pos", or "settings" (the stored settings cannot be read).</param>
public sealed record SyncProblem(string Job, string Reason, DateTimeOffset Since);

/// <summary>
/// Each shop's failing jobs, for its status (admin page and operator API). The schedulers go on with
/// the other shops when one fails; this is where that shop's reason stays visible until a run of the
/// same job succeeds. One key per job, so two jobs never overwrite each other's report.
/// </summary>
public sealed class SyncProblems(IRelayStore store, ShopSettingsStore settings, TimeProvider time)
{
    public const string PullBack = "pullback";
    public const string FullSync = "fullsync";
    public const string Reconcile = "reconcile";
    /// <summary>The order sync (<see cref="Orders.OrderSyncRunner"/>).</summary>
    public const string Orders = "orders";
    /// <summary>The point-of-sale flows (products, stock, orders with the till).</summary>
    public const string PointOfSale = "pos";
    public const string StoredSettings = "settings";

    private static readonly string[] Jobs = [PullBack, FullSync, Reconcile, Orders, PointOfSale];

    private static string Key(string shopKey, string job) => StoreKeys.ShopItem(shopKey, "problem:" + job);

    /// <summary>Records the failure; a job that keeps failing keeps the time it started failing.</summary>
    public async Task ReportAsync(string shopKey, string job, string reason)
    {
        var since = await store.GetAsync(Key(shopKey, job)) is { } json
            ? JsonSerializer.Deserialize<SyncProblem>(json, JsonDefaults.Options)!.Since
            : time.GetUtcNow();
        await store.SetAsync(Key(shopKey, job), JsonSerializer.Serialize(new SyncProblem(job, reason, since), JsonDefaults.Options));
    }

    public Task ClearAsync(string shopKey, string job) => store.DeleteAsync(Key(shopKey, job));

    /// <summary>The shop's failing jobs, and first its settings when they cannot be read (checked now, not on the last run).</summary>
    public async Task<IReadOnlyList<SyncProblem>> ListAsync(string shopKey)
    {
        var found = new List<SyncProblem>();
        try
        {
            await settings.GetAsync(shopKey);
        }
        catch (ShopSettingsUnreadableException e)
        {
            found.Add(new SyncProblem(StoredSettings, e.Message, time.GetUtcNow()));
        }
        var values = await store.GetManyAsync(Jobs.Select(j => Key(shopKey, j)).ToList());
        found.AddRange(values.OfType<string>().Select(json => JsonSerializer.Deserialize<SyncProblem>(json, JsonDefaults.Options)!));
        return found;
    }
}
