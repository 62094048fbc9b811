using System.Net;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Health;

public sealed class HealthTests
{
    [Fact]
    public async Task Live_and_ready_on_the_embedded_store()
    {
        await using var app = new RelayApplication();
        var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
    }

    [Fact]
    public async Task Ready_goes_red_while_redis_is_down_and_green_when_it_is_back()
    {
        await using var redis = new RedisServer();
        await redis.InitializeAsync();
        await using var app = new RelayApplication(new() { ["Storage:Redis"] = redis.ConnectionString });
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);

        await redis.StopAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);

        await redis.StartAsync();
        await Eventually.TrueAsync(async () => (await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK, "/health/ready to go green again");
    }
}
