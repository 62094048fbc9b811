using System.Net;
using Relay.Mapping;
using Relay.Targets;
using Relay.Targets.Sare;
using Simulators.Sare;

namespace Relay.Tests.Targets.Sare;

public sealed class SareClientTests : IAsyncLifetime
{
    private const string ApiKey = "0f8fad5b-d9cb-469f-a165-70867728950e";
    private SareSimulator _sim = null!;
    private readonly TargetTestHost _host = new();

    public async Task InitializeAsync() => _sim = await SareSimulator.StartAsync("12345", ApiKey);

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _sim.DisposeAsync();
    }

    private ITarget Target(Dictionary<string, string>? options = null, string apiKey = ApiKey) =>
        _host.Create("sare", _sim.BaseUrl, new() { ["uid"] = "12345", ["apiKey"] = apiKey }, options ?? new() { ["groupIds"] = "1, 21" });

    private static Contact Person(string email, string key = "K1") => new()
    {
        Key = key,
        Email = email,
        FirstName = "Jan",
        LastName = "Kowalski",
        Fields = new Dictionary<string, string?> { ["prop1"] = "Kraków", ["customer_number"] = "C-17", ["gsm"] = "+48600000000" },
    };

    [Fact]
    public async Task Add_puts_the_address_into_the_groups_with_base_and_custom_properties()
    {
        var outcomes = await Target().UpsertContactsAsync([Person("jan@example.pl")]);

        Assert.Equal(UpsertStatus.Ok, Assert.Single(outcomes).Status);
        var subscriber = _sim.Subscribers["jan@example.pl"];
        Assert.Equal("Jan Kowalski", subscriber.Name);
        Assert.Equal([1, 21], subscriber.Groups.Order());
        Assert.Equal("Kraków", subscriber.Prop["prop1"]);
        Assert.Equal("C-17", subscriber.PropCust["customer_number"]);
        Assert.Equal("+48600000000", subscriber.Gsm);
        // New addresses start unconfirmed (6): an upsert is not an opt-in.
        Assert.Equal((int)SareStatus.NotConfirmed, subscriber.Status);
        Assert.Contains(_sim.Requests, r => r is { Method: "POST", Path: "/api/v1/12345/email/add" });
    }

    [Fact]
    public async Task Upsert_keeps_groups_and_never_changes_the_status_of_an_existing_address()
    {
        _sim.Add("jan@example.pl", status: (int)SareStatus.RemovalRequested, groups: 341);

        await Target().UpsertContactsAsync([Person("jan@example.pl")]);

        var subscriber = _sim.Subscribers["jan@example.pl"];
        Assert.Equal((int)SareStatus.RemovalRequested, subscriber.Status);
        Assert.Equal([1, 21, 341], subscriber.Groups.Order());
    }

    [Fact]
    public async Task A_per_address_error_inside_a_200_is_surfaced_for_that_contact_only()
    {
        var outcomes = await Target().UpsertContactsAsync([Person("ok@example.pl", "A"), Person("broken@@example", "B"), Person("fine@example.pl", "C")]);

        Assert.Equal([UpsertStatus.Ok, UpsertStatus.Rejected, UpsertStatus.Ok], outcomes.Select(o => o.Status));
        Assert.Equal("ITEM_ERROR", outcomes[1].Code);
        Assert.Contains("invalid e-mail address", outcomes[1].Message);
        Assert.Equal(2, _sim.Subscribers.Count);
    }

    [Theory]
    [InlineData(8, ConsentState.Subscribed)]
    [InlineData(6, ConsentState.Unconfirmed)]
    [InlineData(5, ConsentState.Unconfirmed)]
    [InlineData(2, ConsentState.Unsubscribed)]
    [InlineData(3, ConsentState.Unsubscribed)]
    [InlineData(4, ConsentState.Unsubscribed)]
    [InlineData(7, ConsentState.Unsubscribed)]
    public void Status_codes_map_to_consent(int status, ConsentState expected) =>
        Assert.Equal(expected, SareStatuses.ToConsent(status));

    [Theory]
    [InlineData(ConsentState.Subscribed, 8)]
    [InlineData(ConsentState.Unconfirmed, 6)]
    [InlineData(ConsentState.Unsubscribed, 2)]
    public async Task Consent_is_written_as_a_status_even_for_an_existing_address(ConsentState state, int expected)
    {
        _sim.Add("jan@example.pl", status: 4);

        await Target().SetConsentAsync(new ConsentChange { Key = "K1", Email = "jan@example.pl", State = state, At = DateTimeOffset.UtcNow });

        Assert.Equal(expected, _sim.Subscribers["jan@example.pl"].Status);
    }

    [Fact]
    public async Task Status_pull_pages_through_the_addresses_and_reports_unsubscribe_states()
    {
        _sim.StatusPageSize = 2;
        _sim.Add("a@example.pl", 8);
        _sim.Add("b@example.pl", 4);
        _sim.Add("c@example.pl", 6);
        _sim.Add("d@example.pl", 7);
        _sim.Add("e@example.pl", 2);

        var result = await Target().PullChangesAsync(new PullRequest(null, ["a@example.pl", "b@example.pl", "c@example.pl", "d@example.pl", "e@example.pl", "unknown@example.pl"]));

        Assert.Equal(
            [("a@example.pl", ConsentState.Subscribed), ("b@example.pl", ConsentState.Unsubscribed), ("c@example.pl", ConsentState.Unconfirmed),
             ("d@example.pl", ConsentState.Unsubscribed), ("e@example.pl", ConsentState.Unsubscribed)],
            result.Consent.Select(c => (c.Email!, c.State)));
        Assert.Equal(4, _sim.Requests.Count(r => r.Path.StartsWith("/api/v1/12345/email/status_by_email_list/")));
        Assert.Contains(_sim.Requests, r => r.Path.EndsWith("/status_by_email_list/2"));
        Assert.NotNull(result.NextCursor);
    }

    [Fact]
    public async Task Describe_lists_properties_and_groups_for_the_mapping_page()
    {
        var schema = await Target().DescribeAsync();

        Assert.Contains(schema.Fields, f => f is { Id: "prop1", Label: "Miasto" });
        Assert.Contains(schema.Fields, f => f.Id == "customer_number");
        Assert.Contains(new TargetList("21", "Klienci sklepu"), schema.Lists);
    }

    [Fact]
    public async Task Erase_deletes_the_address()
    {
        _sim.Add("jan@example.pl", 8);

        await Target().EraseContactAsync("K1", "jan@example.pl");

        Assert.Empty(_sim.Subscribers);
    }

    [Fact]
    public async Task Wrong_api_key_is_a_TargetAuthException()
    {
        var error = await Assert.ThrowsAsync<TargetAuthException>(() => Target(apiKey: "11111111-2222-3333-4444-555555555555").TestConnectionAsync());

        Assert.Equal(HttpStatusCode.Unauthorized, error.Status);
        Assert.Single(_sim.Requests);
    }

    [Fact]
    public async Task An_error_code_inside_the_envelope_of_a_200_is_not_taken_as_success()
    {
        _sim.Faults.FailNext(1, 200, body: "{\"code\":400,\"status\":\"error\",\"response\":\"Bad group\"}");

        var error = await Assert.ThrowsAsync<TargetPermanentException>(() => Target().TestConnectionAsync());

        Assert.Contains("Bad group", error.Message);
    }
}
