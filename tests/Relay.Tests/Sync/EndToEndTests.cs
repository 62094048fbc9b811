using Relay.Mapping;
using Relay.Settings;
using Relay.Storage;
using Relay.Sync;
using Relay.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Relay.Tests.Sync;

/// <summary>
/// The end-to-end paths with the real simulators: install, configure (the first save starts
/// the full sync), every contact arrives once and mapped, a shop edit follows, a target unsubscribe
/// comes back within one pull-back run and does not echo.
/// </summary>
public sealed class ShopwareEndToEndTests(RedisServer redis, ITestOutputHelper output) : IClassFixture<RedisServer>
{
    /// <summary>The shop's API pacing is real time in production; on the manual clock it would wait forever.</summary>
    private static Dictionary<string, string?> Unpaced(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Shopware:AdminApiRequestsPerSecond"] = "100000",
            ["Shopware:AdminApiBurst"] = "100000",
        };
        foreach (var (k, v) in extra ?? []) settings[k] = v;
        return settings;
    }

    [Fact]
    public async Task Shopware_to_Spotler_10000_contacts_then_an_edit_then_an_unsubscribe_back_without_echo()
    {
        await using var bed = await SyncTestbed.StartAsync(Unpaced());
        const int count = 10_000;
        var customers = new List<Simulators.Shopware.SimulatedCustomer>(count);
        for (var i = 0; i < count; i++) customers.Add(bed.AddCustomer($"klant{i:D5}@example.nl", "Klant", $"Nummer {i}", number: $"K{i:D5}"));
        var recipients = new List<Simulators.Shopware.SimulatedNewsletterRecipient>();
        for (var i = 0; i < count; i += 10) recipients.Add(bed.AddRecipient($"klant{i:D5}@example.nl", "direct"));

        var started = await bed.SaveAsAdminAsync(s => s with
        {
            Target = bed.SpotlerTarget(),
            SyncEnabled = true,
            Customers = new FieldMapping
            {
                Rules =
                [
                    new FieldRule { Target = "firstName", Sources = ["firstName"] },
                    new FieldRule { Target = "lastName", Sources = ["lastName"], Transforms = ["upper"] },
                    new FieldRule { Target = "profileField1", Sources = ["customerNumber"] },
                ],
            },
        });
        Assert.Equal(SyncState.Running, started!.State);
        Assert.Equal(FullSyncRunOutcome.Finished, await bed.Get<FullSyncRunner>().RunAsync(bed.ShopKey, "worker"));
        output.WriteLine($"full sync of {count} customers + {recipients.Count} recipients");

        var progress = await bed.Get<FullSync>().GetAsync(bed.ShopKey);
        Assert.Equal(SyncState.Completed, progress.State);
        Assert.Equal(count + recipients.Count, progress.Done);
        Assert.Equal(0, progress.Failed);
        Assert.Equal(count, bed.Spotler.Contacts.Count);
        // Every record was sent once: no page twice.
        Assert.Equal(count + recipients.Count, bed.Spotler.ContactListBatches.Sum());
        var sample = bed.Spotler.Contacts["klant04321@example.nl"];
        Assert.Equal("NUMMER 4321", sample.Properties["lastName"]);
        Assert.Equal("K04321", sample.Properties["profileField1"]);
        Assert.True(bed.Spotler.Contacts["klant00010@example.nl"].Permissions[1]);

        // A customer edit in the shop arrives.
        bed.Time.Advance(TimeSpan.FromMinutes(1));
        var edited = customers[4321];
        edited.LastName = "Veranderd";
        edited.UpdatedAt = bed.Time.GetUtcNow();
        await bed.SendCustomerWrittenAsync(edited.Id);
        await bed.ProcessQueueAsync();
        Assert.Equal("VERANDERD", bed.Spotler.Contacts["klant04321@example.nl"].Properties["lastName"]);
        output.WriteLine($"edit: spotler requests {bed.Spotler.Requests.Count}, shop requests {bed.ShopApi.Requests.Count}");

        // The first pull-back run, an interval later, sets the reconciliation mark.
        bed.Time.Advance(TimeSpan.FromMinutes(5));
        await bed.Get<PullBackRunner>().RunOnceAsync(bed.ShopKey);
        output.WriteLine($"first pull-back: spotler requests {bed.Spotler.Requests.Count}, shop requests {bed.ShopApi.Requests.Count}");

        // An unsubscribe in Spotler reaches the shop within one pull-back run ...
        bed.Time.Advance(TimeSpan.FromMinutes(5));
        bed.Spotler.Unsubscribe("klant00020@example.nl", 1, bed.Time.GetUtcNow());
        bed.Time.Advance(TimeSpan.FromMinutes(10));
        var writes = bed.SpotlerWrites();
        var pulled = await bed.Get<PullBackRunner>().RunOnceAsync(bed.ShopKey);
        output.WriteLine($"second pull-back");
        Assert.Equal(1, pulled.OptedOut);
        var recipient = recipients.Single(r => r.Email == "klant00020@example.nl");
        Assert.Equal("optOut", recipient.Status);

        // ... and neither the shop's webhook nor the next reconciliation sends it back.
        await bed.SendNewsletterAsync("newsletter.unsubscribe", recipient.Id);
        await bed.ProcessQueueAsync();
        bed.Time.Advance(TimeSpan.FromMinutes(10));
        await bed.Get<PullBackRunner>().RunOnceAsync(bed.ShopKey);
        Assert.Equal(writes, bed.SpotlerWrites());
        Assert.Empty(await bed.DeadLettersAsync());
        output.WriteLine($"total");
    }

    [Fact]
    public async Task A_full_sync_whose_worker_dies_at_half_is_finished_by_a_new_instance_on_the_same_Redis()
    {
        var onRedis = Unpaced(new() { ["Storage:Redis"] = redis.ConnectionString });
        await using var bed = await SyncTestbed.StartAsync(onRedis);
        const int count = 1_000;
        for (var i = 0; i < count; i++) bed.AddCustomer($"half{i:D4}@example.nl", number: $"H{i:D4}");
        await bed.SaveAsAdminAsync(s => s with { Target = bed.SpotlerTarget(), SyncEnabled = true });

        // The first worker does half of the pages and dies holding its lease.
        Assert.Equal(FullSyncRunOutcome.Paused, await bed.Get<FullSyncRunner>().RunAsync(bed.ShopKey, "worker-a", maxPages: 1));
        await bed.Get<IRelayStore>().SetAsync(StoreKeys.ShopItem(bed.ShopKey, "fullsync:lease"), "worker-a", TimeSpan.FromMinutes(10));
        Assert.Equal(500, (await bed.Get<FullSync>().GetAsync(bed.ShopKey)).Done);

        // A new process on the same Redis waits for the lease to run out, then resumes from the cursor.
        await using var second = bed.SecondInstance(onRedis);
        Assert.Equal(FullSyncRunOutcome.Busy, await second.Get<FullSyncRunner>().RunAsync(bed.ShopKey, "worker-b"));
        await bed.Get<IRelayStore>().DeleteAsync(StoreKeys.ShopItem(bed.ShopKey, "fullsync:lease"));
        Assert.Equal(FullSyncRunOutcome.Finished, await second.Get<FullSyncRunner>().RunAsync(bed.ShopKey, "worker-b"));

        var progress = await bed.Get<FullSync>().GetAsync(bed.ShopKey);
        Assert.Equal(SyncState.Completed, progress.State);
        Assert.Equal(count, bed.Spotler.Contacts.Count);
        // Each contact at most once more than needed: here none, the cursor pointed at page 2.
        Assert.InRange(bed.Spotler.ContactListBatches.Sum(), count, count + 500);
    }
}
