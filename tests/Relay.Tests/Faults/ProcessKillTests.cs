using Relay.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Relay.Tests.Faults;

/// <summary>
/// Two relay processes share one Redis; one is killed with SIGKILL while it holds queue entries it has
/// read and not acked. The shop's target has no credentials (see <see cref="FaultBed"/>), so every
/// shopware.webhook event ends in the shop's dead letters, which makes "handled" visible from outside: an event is handled
/// when it is in the dead-letter stream and no longer in the queue.
/// What is asserted: every event a relay answered 2xx ends in the dead letters at least once (none is
/// lost), the queue drains to zero (the survivor took over the dead process's pending entries), and
/// nothing appears there that was never sent. Duplicates are allowed (at-least-once).
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class ProcessKillTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Events_a_killed_relay_accepted_or_held_are_handled_by_the_survivor()
    {
        await using var bed = await FaultBed.StartAsync(relays: 2, new Dictionary<string, string?>
        {
            ["Pipeline__VisibilityTimeout"] = "00:00:02",
            // One item at a time out of big batches: the victim holds many read, unacked entries at any moment.
            ["Pipeline__WorkerConcurrency"] = "1",
            ["Pipeline__BatchSize"] = "500",
        });
        var (victim, survivor) = (bed.Relays[0], bed.Relays[1]);
        var victimDead = false;
        var load = new WebhookLoad(bed.Shop, i => !Volatile.Read(ref victimDead) && i % 2 == 0 ? victim.BaseUrl : survivor.BaseUrl);
        const int events = 2000;
        var sending = load.RunAsync(events, concurrency: 16, runId: "kill");

        await Eventually.TrueAsync(() => Task.FromResult(load.Accepted.Count >= events / 4), "a quarter of the events to be accepted");

        // Freeze the victim, look at what it holds, and kill it only while it holds something: that is the
        // case where a crash could lose work. It handles one entry at a time, so at most one of its acks can
        // still be on the wire when it is frozen: two or more entries pending for it mean it holds one.
        var heldByVictim = 0L;
        await Eventually.TrueAsync(async () =>
        {
            victim.Freeze();
            heldByVictim = (await bed.PendingByConsumerAsync()).Where(c => c.Key.Contains($"-{victim.ProcessId}-")).Sum(c => c.Value);
            if (heldByVictim >= 2) return true;
            victim.Thaw();
            return false;
        }, "the victim to hold entries it has read and not acked");
        Volatile.Write(ref victimDead, true);
        await victim.KillAsync();

        await sending.WaitAsync(Eventually.HangGuard);
        var accepted = load.Accepted.Keys.ToHashSet();
        Assert.True(accepted.Count > events / 2, load.Describe());

        var dead = await bed.WaitUntilHandledAsync(accepted);

        output.WriteLine($"{load.Describe()}; victim held {heldByVictim} unacked entries when killed; " +
            $"{dead.Count} events dead-lettered, {dead.Values.Count(n => n > 1)} of them more than once");
        Assert.Equal(0, await bed.QueuedAsync());
        var lost = accepted.Where(id => !dead.ContainsKey(id)).ToList();
        Assert.Empty(lost);
        Assert.All(dead.Keys, id => Assert.StartsWith("kill-", id));
        Assert.False(survivor.HasExited);
    }
}
