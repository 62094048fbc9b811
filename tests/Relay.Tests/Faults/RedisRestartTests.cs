using Relay.Tests.Infrastructure;
using System.Net;
using Xunit.Abstractions;

namespace Relay.Tests.Faults;

/// <summary>
/// Redis is killed (SIGKILL) and started again on the same AOF (fsync always, as RedisServer runs it)
/// while a relay process takes webhooks. Asserted: every event answered 2xx before, during or after
/// the outage is handled afterwards (dead letters, see <see cref="ProcessKillTests"/>); the relay
/// reconnects by itself and takes events again; /health/ready is 503 during the outage and 200 after;
/// no webhook is answered 500 (an outage is 503, which the sender may retry).
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class RedisRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_redis_restart_under_load_loses_no_accepted_event_and_readiness_follows_it()
    {
        await using var bed = await FaultBed.StartAsync(relays: 1, new Dictionary<string, string?>
        {
            ["Pipeline__VisibilityTimeout"] = "00:00:05",
        });
        var relay = bed.Relays[0];
        var load = new WebhookLoad(bed.Shop, _ => relay.BaseUrl);
        var sending = load.RunAsync(50_000, concurrency: 8, runId: "aof");

        async Task<HttpStatusCode> ReadyAsync()
        {
            using var response = await relay.Client.GetAsync("/health/ready");
            return response.StatusCode;
        }

        await Eventually.TrueAsync(() => Task.FromResult(load.Accepted.Count >= 300), "300 events accepted before the outage");
        Assert.Equal(HttpStatusCode.OK, await ReadyAsync());

        await bed.Redis.StopAsync();
        await Eventually.TrueAsync(async () => await ReadyAsync() == HttpStatusCode.ServiceUnavailable, "/health/ready to go red");
        var acceptedBeforeRestart = load.Accepted.Count;

        await bed.Redis.StartAsync();
        await Eventually.TrueAsync(async () => await ReadyAsync() == HttpStatusCode.OK, "/health/ready to go green again");
        await Eventually.TrueAsync(() => Task.FromResult(load.Accepted.Count >= acceptedBeforeRestart + 300), "the relay to accept events again after Redis came back");
        load.Stop();
        await sending.WaitAsync(Eventually.HangGuard);

        var accepted = load.Accepted.Keys.ToHashSet();
        var dead = await bed.WaitUntilHandledAsync(accepted);

        output.WriteLine($"{load.Describe()}; {acceptedBeforeRestart} accepted before Redis was back; {dead.Count} dead-lettered, {dead.Values.Count(n => n > 1)} more than once");
        var lost = accepted.Where(id => !dead.ContainsKey(id)).ToList();
        Assert.Empty(lost);
        Assert.Equal(0, await bed.QueuedAsync());
        Assert.False(load.Statuses.ContainsKey(500), load.Describe());
        Assert.All(load.Statuses.Keys, status => Assert.True(status is 204 or 503, load.Describe()));
    }
}
