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
    public async Task Connection_test_succeeds_with_a_valid_api_key_in_one_call()
    {
        await Target().TestConnectionAsync();

        var call = Assert.Single(_sim.Requests);
        Assert.Equal(("GET", "/api/v1/12345/group/list", 200), (call.Method, call.Path, call.Status));
    }

    [Fact]
    public async Task Upsert_of_1000_contacts_is_ten_email_add_calls_of_100()
    {
        var contacts = Enumerable.Range(0, 1000).Select(i => Person($"person{i:D4}@example.pl", $"K{i}")).ToList();

        var outcomes = await Target().UpsertContactsAsync(contacts);

        Assert.Equal(contacts.Select(c => c.Key), outcomes.Select(o => o.Key));
        Assert.All(outcomes, o => Assert.Equal(UpsertStatus.Ok, o.Status));
        Assert.Equal(1000, _sim.Subscribers.Count);
        // Counted at the simulator: every HTTP call it received.
        Assert.Equal(10, _sim.Requests.Count);
        Assert.All(_sim.Requests, r => Assert.Equal(("POST", "/api/v1/12345/email/add", 200), (r.Method, r.Path, r.Status)));
    }

    [Fact]
    public async Task Updating_one_contact_changes_its_name_and_properties_in_one_call()
    {
        var target = Target();
        await target.UpsertContactsAsync([Person("jan@example.pl")]);

        var outcome = Assert.Single(await target.UpsertContactsAsync([Person("jan@example.pl") with
        {
            FirstName = "Janina",
            Fields = new Dictionary<string, string?> { ["prop1"] = "Gdańsk", ["customer_number"] = "C-17" },
        }]));

        Assert.Equal(UpsertStatus.Ok, outcome.Status);
        var subscriber = Assert.Single(_sim.Subscribers.Values);
        Assert.Equal("Janina Kowalski", subscriber.Name);
        Assert.Equal("Gdańsk", subscriber.Prop["prop1"]);
        Assert.Equal((int)SareStatus.NotConfirmed, subscriber.Status);
        Assert.Equal(2, _sim.Requests.Count);
    }

    [Fact]
    public async Task Opting_out_one_address_sets_removed_by_owner_and_leaves_the_others()
    {
        _sim.Add("jan@example.pl", (int)SareStatus.Confirmed, 1);
        _sim.Add("ewa@example.pl", (int)SareStatus.Confirmed, 1);

        await Target().SetConsentAsync(new ConsentChange { Key = "K1", Email = "jan@example.pl", State = ConsentState.Unsubscribed, At = DateTimeOffset.UtcNow });

        Assert.Equal((int)SareStatus.RemovedManually, _sim.Subscribers["jan@example.pl"].Status);
        Assert.Equal((int)SareStatus.Confirmed, _sim.Subscribers["ewa@example.pl"].Status);
        Assert.Single(_sim.Requests);
    }

    [Fact]
    public async Task Pull_by_overlapping_address_lists_reports_each_address_once_with_its_new_unsubscribe()
    {
        _sim.Add("a@example.pl", 8);
        _sim.Add("b@example.pl", 8);
        _sim.Add("c@example.pl", 8);
        var target = Target();

        var first = await target.PullChangesAsync(new PullRequest(null, ["a@example.pl", "b@example.pl"]));
        _sim.Unsubscribe("b@example.pl");
        _sim.Unsubscribe("c@example.pl", status: (int)SareStatus.RemovedAutomatically);
        // Lists overlap (b twice, once in capitals); SARE is asked about each address once.
        var second = await target.PullChangesAsync(new PullRequest(first.NextCursor, ["b@example.pl", "c@example.pl", "B@EXAMPLE.PL", "a@example.pl"]));

        Assert.All(first.Consent, c => Assert.Equal(ConsentState.Subscribed, c.State));
        Assert.Equal(["a@example.pl", "b@example.pl", "c@example.pl"], second.Consent.Select(c => c.Email!.ToLowerInvariant()).Order());
        Assert.Equal(["b@example.pl", "c@example.pl"], second.Consent.Where(c => c.State == ConsentState.Unsubscribed).Select(c => c.Email!).Order());
        // SARE has no bounce feed: an address it removed after bounces (3) arrives as an unsubscribe, never as a Bounce.
        Assert.Empty(first.Bounces);
        Assert.Empty(second.Bounces);
        Assert.Equal(2, _sim.Requests.Count(r => r.Path.StartsWith("/api/v1/12345/email/status_by_email_list/")));
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

    [Fact]
    public async Task Consent_read_asks_for_statuses_in_batches_and_counts_blocked_and_removed_as_opted_out()
    {
        _sim.Add("potwierdzony@example.pl", 8);
        _sim.Add("wypisany@example.pl", 4);
        _sim.Add("zablokowany@example.pl", 7);
        _sim.Add("niepotwierdzony@example.pl", 6);
        var contacts = new[] { "potwierdzony", "wypisany", "zablokowany", "niepotwierdzony", "nowy" }
            .Select(n => Person($"{n}@example.pl", key: $"K-{n}"))
            .Concat(Enumerable.Range(1, 150).Select(i => Person($"inny{i}@example.pl", key: $"K{i}")))
            .ToList();

        var consent = await Target(new() { ["batchSize"] = "100" }).ReadConsentAsync(contacts);

        Assert.Equal(4, consent.Count);
        Assert.Equal(ConsentState.Subscribed, consent["K-potwierdzony"].State);
        Assert.Equal(ConsentState.Unconfirmed, consent["K-niepotwierdzony"].State);
        Assert.True(consent["K-wypisany"].OptedOut);
        Assert.True(consent["K-zablokowany"].OptedOut);
        Assert.False(consent.ContainsKey("K-nowy"));
        // 155 addresses in two batches of at most 100; each batch reads pages until SARE answers none.
        Assert.All(_sim.Requests, r => Assert.Contains("/email/status_by_email_list/", r.Path));
        Assert.InRange(_sim.Requests.Count, 2, 4);
    }
}
