using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Relay.Operator;
using Relay.Pipeline;
using Relay.Tests.Infrastructure;
using Relay.Tests.Pipeline;

namespace Relay.Tests.Operator;

public sealed class OperatorApiTests
{
    private const string Key = "operator-key-for-tests-0123456789";

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-key-wrong-key-wrong-key")]
    [InlineData("Basic b3BlcmF0b3I=")]
    public async Task Without_the_operator_key_every_route_is_refused(string? authorization)
    {
        await using var app = new RelayApplication();
        var client = app.CreateClient();
        if (authorization is not null) client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);

        foreach (var (method, path) in new[] { ("GET", "/operator/shops"), ("GET", "/operator/queue"), ("GET", "/operator/shops/shopware:x/dead-letters"),
                     ("POST", "/operator/shops/shopware:x/dead-letters/1-1/replay"), ("POST", "/operator/shops/shopware:x/purge"),
                     ("POST", "/operator/shops/shopware:x/pull-back") })
        {
            var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task Without_a_configured_key_the_operator_api_is_off()
    {
        await using var app = new RelayApplication(new() { ["Operator:ApiKey"] = "" });
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/operator/shops")).StatusCode);
    }

    [Fact]
    public async Task A_pull_back_on_demand_is_not_found_for_an_unknown_shop()
    {
        await using var app = new RelayApplication();
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync("/operator/shops/shopware:nothere/pull-back", null)).StatusCode);
        // The run itself, through to an opt-out written into the shop, is the README demo's step (DemoTests).
    }

    [Fact]
    public async Task An_operator_sees_a_dead_letter_with_its_reason_and_replays_it()
    {
        var handler = new ScriptedHandler();
        var failFirst = true;
        handler.Behaviour = _ => failFirst ? throw new PermanentFailureException("SARE: invalid email") : Task.CompletedTask;
        await using var app = new RelayApplication(
            new() { ["Pipeline:IdleDelay"] = "00:00:00.020" },
            services: s => s.AddSingleton<IQueueHandler>(handler));
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);

        await app.Get<Inbox>().AcceptAsync("shopware:s1", "evt-1", "test", "{}");
        var dead = await Eventually.ValueAsync(async () => (await client.GetFromJsonAsync<DeadLetterView[]>("/operator/shops/shopware:s1/dead-letters"))!.SingleOrDefault(),
            "the dead letter");
        Assert.Equal("SARE: invalid email", dead.Error);
        Assert.Equal("evt-1", dead.EventId);

        failFirst = false;
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync($"/operator/shops/shopware:s1/dead-letters/{dead.Id}/replay", null)).StatusCode);
        await Eventually.TrueAsync(() => Task.FromResult(handler.Calls.TryGetValue("evt-1", out var n) && n == 2), "the replayed event to be handled");
        Assert.Empty((await client.GetFromJsonAsync<DeadLetterView[]>("/operator/shops/shopware:s1/dead-letters"))!);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync($"/operator/shops/shopware:s1/dead-letters/{dead.Id}/replay", null)).StatusCode);

        var depth = await client.GetFromJsonAsync<PartitionDepth[]>("/operator/queue");
        Assert.Equal(4, depth!.Length);
    }
}
