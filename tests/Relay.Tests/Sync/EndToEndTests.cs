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
public sealed class ShopwareEndToEndTests(ITestOutputHelper output)
{
    /// <summary>The shop's API pacing is real time in production; on the manual clock it would wait forever.</summary>
    internal static Dictionary<string, string?> Unpaced(Dictionary<string, string?>? extra = null)
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
}
