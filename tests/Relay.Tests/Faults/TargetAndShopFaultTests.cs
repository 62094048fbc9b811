using Relay.Sync;
using Relay.Tests.Sync;

namespace Relay.Tests.Faults;

/// <summary>
/// Outages on either side of the relay, on simulated time: the relay in process with the real
/// simulators (<see cref="SyncTestbed"/>), the queue worker driven by ProcessOnceAsync and the clock
/// moved by the test. In-process retries (the outbound chain's) are switched off so every failure reaches
/// the pipeline's own retry schedule (5 s, 5 min, ...), which is what is under test.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class TargetAndShopFaultTests
{
    private static readonly Dictionary<string, string?> PipelineRetriesOnly = new()
    {
        ["Pipeline:RetryJitter"] = "0",
        ["Targets:Http:MaxRetryAttempts"] = "0",
        ["Targets:Http:BreakerMinimumThroughput"] = "100000",
        ["Shopware:Http:MaxRetryAttempts"] = "0",
    };

    [Fact]
    public async Task A_target_answering_503_for_two_minutes_gets_every_event_afterwards_in_retry_order()
    {
        await using var bed = await SyncTestbed.StartAsync(PipelineRetriesOnly);
        await bed.ConfigureAsync(bed.SpotlerTarget());
        var start = bed.Time.GetUtcNow();
        var outageEnds = start + TimeSpan.FromMinutes(2);
        bed.Spotler.Faults.FailNext(100_000, 503);

        // Three changes, a second apart, each tried at once (and refused).
        var emails = new[] { "een@example.nl", "twee@example.nl", "drie@example.nl" };
        var accepted = new Dictionary<string, DateTimeOffset>();
        foreach (var email in emails)
        {
            var customer = bed.AddCustomer(email, number: email[..4]);
            accepted[email] = bed.Time.GetUtcNow();
            await bed.SendCustomerWrittenAsync(customer.Id);
            await bed.ProcessQueueAsync();
            bed.Time.Advance(TimeSpan.FromSeconds(1));
        }

        // Simulated time in 1-second steps to 6 minutes; the target recovers at 2 minutes.
        var delivered = new Dictionary<string, DateTimeOffset>();
        while (bed.Time.GetUtcNow() < start + TimeSpan.FromMinutes(6))
        {
            if (bed.Time.GetUtcNow() >= outageEnds) bed.Spotler.Faults.Clear();
            await bed.ProcessQueueAsync();
            foreach (var email in emails)
                if (!delivered.ContainsKey(email) && bed.Spotler.Contacts.ContainsKey(email)) delivered[email] = bed.Time.GetUtcNow();
            bed.Time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(emails.Length, delivered.Count);
        Assert.Empty(await bed.DeadLettersAsync());
        // Refused at once and at +5 s (both in the outage), delivered by the +5 min retry: not before, not later.
        foreach (var email in emails)
            Assert.InRange(delivered[email], accepted[email] + TimeSpan.FromSeconds(5) + TimeSpan.FromMinutes(5), accepted[email] + TimeSpan.FromSeconds(5) + TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(2));
        // Each retry came due in the order the events came in, and the target saw them in that order.
        Assert.Equal(emails, emails.OrderBy(e => delivered[e]).ToArray());
        var firstWrites = bed.Spotler.Requests.Where(r => r.Status is >= 200 and < 300 && r.Method is "POST" or "PUT").ToList();
        Assert.True(firstWrites.Count >= emails.Length, $"only {firstWrites.Count} successful writes");
        Assert.True(bed.Spotler.Faults.Served >= 2 * emails.Length, $"the outage refused only {bed.Spotler.Faults.Served} calls");
    }

    [Fact]
    public async Task A_target_call_that_times_out_is_retried_and_delivered_and_nothing_is_lost()
    {
        // The attempt timeout runs in real time here, so it is long enough for the other event's call and
        // for the held one to reach Spotler on a busy machine (300 ms was not).
        await using var bed = await SyncTestbed.StartAsync(new(PipelineRetriesOnly) { ["Targets:Http:AttemptTimeout"] = "00:00:05" });
        await bed.ConfigureAsync(bed.SpotlerTarget());
        var first = bed.AddCustomer("traag@example.nl", number: "K1");
        var second = bed.AddCustomer("vlot@example.nl", number: "K2");
        // Spotler holds the next call and never answers it: the client's attempt times out.
        bed.Spotler.Faults.HoldNext();

        await bed.SendCustomerWrittenAsync(first.Id);
        await bed.SendCustomerWrittenAsync(second.Id);
        await bed.ProcessQueueAsync();

        // The worker handles both events at once, so either may be the one whose call hangs.
        Assert.Equal(1, bed.Spotler.Faults.Served);
        Assert.Single(bed.Spotler.Contacts.Keys, k => k is "traag@example.nl" or "vlot@example.nl");

        bed.Time.Advance(TimeSpan.FromSeconds(6));
        await bed.ProcessQueueAsync();

        Assert.True(bed.Spotler.Contacts.ContainsKey("traag@example.nl") && bed.Spotler.Contacts.ContainsKey("vlot@example.nl"),
            "the timed-out event was not delivered on its retry");
        Assert.Equal(2, bed.Spotler.Contacts.Count);
        Assert.Empty(await bed.DeadLettersAsync());
    }

    [Fact]
    public async Task A_full_sync_through_repeated_Shopware_429_storms_completes()
    {
        await using var bed = await SyncTestbed.StartAsync();
        await bed.ConfigureAsync(bed.SpotlerTarget());
        for (var i = 1; i <= 1250; i++) bed.AddCustomer($"klant{i:D3}@example.nl", "Klant", $"Nummer {i}", number: $"K{i:D3}");
        var jobs = bed.Get<FullSync>();
        var runner = bed.Get<FullSyncRunner>();

        await jobs.StartAsync(bed.ShopKey);
        var outcomes = new List<FullSyncRunOutcome>();
        var storms = 0;
        for (var round = 0; round < 40; round++)
        {
            // A storm before each of the first pages: the Admin API answers 429 (Retry-After: 1) twice in a row.
            if (round < 6)
            {
                bed.ShopApi.FailNext(429, 2);
                storms += 2;
            }
            var outcome = await runner.RunAsync(bed.ShopKey, "instance-a", maxPages: 1);
            outcomes.Add(outcome);
            if (outcome == FullSyncRunOutcome.Finished) break;
            bed.Time.Advance(TimeSpan.FromSeconds(2));
        }

        var progress = await jobs.GetAsync(bed.ShopKey);
        Assert.Equal(SyncState.Completed, progress.State);
        Assert.Equal(1250, progress.Done);
        Assert.Equal(0, progress.Failed);
        Assert.Null(progress.Error);
        Assert.Equal(1250, bed.Spotler.Contacts.Count);
        Assert.Equal(storms, bed.ShopApi.Faults.Served);
        // The outbound chain waited out each Retry-After and asked again: no page had to wait for a later run.
        Assert.DoesNotContain(FullSyncRunOutcome.Retrying, outcomes);
        Assert.Empty(await bed.DeadLettersAsync());
    }

    [Fact]
    public async Task A_target_outage_while_the_next_page_is_read_ahead_pauses_the_full_sync_and_it_resumes_from_its_cursor()
    {
        await using var bed = await SyncTestbed.StartAsync(PipelineRetriesOnly);
        await bed.ConfigureAsync(bed.SpotlerTarget());
        for (var i = 1; i <= 1250; i++) bed.AddCustomer($"klant{i:D4}@example.nl", "Klant", $"Nummer {i}", number: $"K{i:D4}");
        var jobs = bed.Get<FullSync>();
        var runner = bed.Get<FullSyncRunner>();
        await jobs.StartAsync(bed.ShopKey);
        Assert.Equal(FullSyncRunOutcome.Paused, await runner.RunAsync(bed.ShopKey, "instance-a", maxPages: 1));

        // Page 2 meets the outage while page 3 is already being read: the run stops, the read ahead is dropped.
        bed.Spotler.Faults.FailNext(1, 503, method: "POST", path: "/integrationservice/contact/list");
        Assert.Equal(FullSyncRunOutcome.Retrying, await runner.RunAsync(bed.ShopKey, "instance-a"));
        var paused = await jobs.GetAsync(bed.ShopKey);
        Assert.Equal(SyncState.Running, paused.State);
        Assert.Equal(500, paused.Done);
        Assert.StartsWith("Waiting to retry", paused.Error);

        Assert.Equal(FullSyncRunOutcome.Finished, await runner.RunAsync(bed.ShopKey, "instance-a"));
        var progress = await jobs.GetAsync(bed.ShopKey);
        Assert.Equal(SyncState.Completed, progress.State);
        Assert.Equal(1250, progress.Done);
        Assert.Equal(0, progress.Failed);
        Assert.Equal(1250, bed.Spotler.Contacts.Count);
        // Resumed at page 2 (its refused batch had stored nothing): every contact went in exactly once.
        Assert.Equal([.. Enumerable.Repeat(100, 12), 50], bed.Spotler.ContactListBatches);
    }

    [Fact]
    public async Task A_forward_through_a_Shopware_429_storm_is_delivered_and_never_dead_lettered()
    {
        await using var bed = await SyncTestbed.StartAsync(PipelineRetriesOnly);
        await bed.ConfigureAsync(bed.SpotlerTarget());
        var customer = bed.AddCustomer("storm@example.nl", number: "K1");
        bed.ShopApi.FailNext(429, 4);

        await bed.SendCustomerWrittenAsync(customer.Id);
        for (var step = 0; step < 200 && !bed.Spotler.Contacts.ContainsKey("storm@example.nl"); step++)
        {
            await bed.ProcessQueueAsync();
            Assert.Empty(await bed.DeadLettersAsync());
            bed.Time.Advance(TimeSpan.FromMinutes(5));
        }

        Assert.True(bed.Spotler.Contacts.ContainsKey("storm@example.nl"), "the event was never delivered");
        Assert.Equal(4, bed.ShopApi.Faults.Served);
        Assert.Empty(await bed.DeadLettersAsync());
    }
}
