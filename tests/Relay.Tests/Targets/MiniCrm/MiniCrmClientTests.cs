using System.Net;
using Relay.Mapping;
using Relay.Storage.Embedded;
using Relay.Targets;
using Relay.Tests.Infrastructure;
using Simulators.MiniCrm;

namespace Relay.Tests.Targets.MiniCrm;

public sealed class MiniCrmClientTests : IAsyncLifetime
{
    private MiniCrmSimulator _sim = null!;
    private readonly TargetTestHost _host = new();

    public async Task InitializeAsync() => _sim = await MiniCrmSimulator.StartAsync("12345", "minicrm-api-key");

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _sim.DisposeAsync();
    }

    private static Dictionary<string, string> Credentials(string apiKey = "minicrm-api-key") => new() { ["systemId"] = "12345", ["apiKey"] = apiKey };

    // A huge budget: these tests are about the protocol, the pacing test below about the limit.
    private ITarget Target(Dictionary<string, string>? options = null) =>
        _host.Create("minicrm", _sim.BaseUrl, Credentials(), options ?? new() { ["requestsPerMinute"] = "6000" });

    [Fact]
    public async Task A_new_address_is_searched_then_created_as_a_Person()
    {
        var outcome = Assert.Single(await Target().UpsertContactsAsync([new Contact { Key = "K1", Email = "anna@example.hu", FirstName = "Anna", LastName = "Kovács", Phone = "+3612345678" }]));

        Assert.Equal(UpsertStatus.Ok, outcome.Status);
        var person = Assert.Single(_sim.Contacts.Values);
        Assert.Equal(outcome.TargetId, person.Id.ToString());
        Assert.Equal("Person", person.Type);
        Assert.Equal("Anna", person.Fields["FirstName"]);
        Assert.Equal("+3612345678", person.Fields["Phone"]);
        Assert.Equal(["GET /Api/R3/Contact", "PUT /Api/R3/Contact"], _sim.Requests.Select(r => $"{r.Method} {r.Path}"));
        Assert.Contains("Email=anna%40example.hu", _sim.Requests.First().Query);
    }

    [Fact]
    public async Task A_known_address_updates_the_existing_Person()
    {
        var existing = _sim.AddPerson("Anna", "anna@example.hu");

        var outcome = Assert.Single(await Target().UpsertContactsAsync([new Contact { Key = "K1", Email = "ANNA@example.hu", FirstName = "Anna", LastName = "Szabó" }]));

        Assert.Equal(existing.Id.ToString(), outcome.TargetId);
        Assert.Equal("Szabó", Assert.Single(_sim.Contacts.Values).Fields["LastName"]);
        Assert.Contains(_sim.Requests, r => r.Method == "PUT" && r.Path == $"/Api/R3/Contact/{existing.Id}");
    }

    [Fact]
    public async Task A_company_becomes_a_Business_the_Person_belongs_to_and_is_reused()
    {
        var target = Target();
        await target.UpsertContactsAsync(
        [
            new Contact { Key = "K1", Email = "anna@acme.hu", FirstName = "Anna", Company = "Acme Kft.", Fields = new Dictionary<string, string?> { ["Business.VatNumber"] = "HU123" } },
            new Contact { Key = "K2", Email = "bela@acme.hu", FirstName = "Béla", Company = "Acme Kft." },
        ]);

        var business = Assert.Single(_sim.Contacts.Values, c => c.Type == "Business");
        Assert.Equal("Acme Kft.", business.Fields["Name"]);
        Assert.Equal("HU123", business.Fields["VatNumber"]);
        var people = _sim.Contacts.Values.Where(c => c.Type == "Person").ToList();
        Assert.Equal(2, people.Count);
        Assert.All(people, p => Assert.Equal(business.Id.ToString(), p.Fields["BusinessId"]));
    }

    [Fact]
    public async Task A_plain_text_error_body_is_surfaced()
    {
        var outcome = Assert.Single(await Target().UpsertContactsAsync([new Contact { Key = "K1", Email = "anna @example.hu", FirstName = "Anna" }]));

        Assert.Equal(UpsertStatus.Rejected, outcome.Status);
        Assert.Equal("400", outcome.Code);
        Assert.Contains("Invalid value for field Email", outcome.Message);

        _sim.Faults.FailNext(1, 400, body: "Unknown parameter: Foo", contentType: "text/plain");
        var error = await Assert.ThrowsAsync<TargetPermanentException>(() => Target().TestConnectionAsync());
        Assert.Contains("Unknown parameter: Foo", error.Message);
    }

    [Fact]
    public async Task Describe_reads_the_Person_and_Business_schemas_and_the_modules()
    {
        var schema = await Target().DescribeAsync();

        Assert.Contains(schema.Fields, f => f is { Id: "FirstName", Required: true });
        Assert.Contains(schema.Fields, f => f is { Id: "Hirlevel", Type: "Enum(Active,Unsubscribed)" });
        Assert.Contains(schema.Fields, f => f.Id == "Business.VatNumber");
        Assert.Contains(new TargetList("1", "Webshop"), schema.Lists);
    }

    [Fact]
    public async Task Consent_goes_to_the_configured_custom_field()
    {
        var person = _sim.AddPerson("Anna", "anna@example.hu");
        var target = Target(new() { ["requestsPerMinute"] = "6000", ["consentField"] = "Hirlevel" });

        await target.SetConsentAsync(new ConsentChange { Key = "K1", Email = "anna@example.hu", State = ConsentState.Unsubscribed, At = DateTimeOffset.UtcNow });

        Assert.Equal("Unsubscribed", person.Fields["Hirlevel"]);
    }

    [Fact]
    public async Task Connection_test_succeeds_with_a_valid_api_key_in_one_call()
    {
        await Target().TestConnectionAsync();

        var call = Assert.Single(_sim.Requests);
        Assert.Equal(200, call.Status);
        Assert.StartsWith("/Api/R3/", call.Path);
    }

    [Fact]
    public async Task Upsert_of_1000_new_contacts_is_a_search_and_a_create_each_paced_at_60_a_minute()
    {
        // MiniCRM has no batch endpoint: 2,000 calls at its 60 a minute are half an hour of schedule,
        // run on a virtual clock shared by the client's pacing and the simulator's limit.
        var time = new VirtualTimeProvider();
        await using var sim = await MiniCrmSimulator.StartAsync("12345", "minicrm-api-key", time);
        using var host = new TargetTestHost(time, http: o => o.AttemptTimeout = Timeout.InfiniteTimeSpan);
        var target = host.Create("minicrm", sim.BaseUrl, Credentials());
        var contacts = Enumerable.Range(0, 1000).Select(i => new Contact { Key = $"K{i}", Email = $"person{i:D4}@example.hu", FirstName = "Anna" }).ToList();
        var started = time.GetUtcNow();

        var outcomes = await target.UpsertContactsAsync(contacts);

        Assert.All(outcomes, o => Assert.Equal(UpsertStatus.Ok, o.Status));
        Assert.Equal(1000, sim.Contacts.Count);
        // Counted at the simulator: every HTTP call it received.
        Assert.Equal(2000, sim.Requests.Count);
        Assert.Equal(1000, sim.Requests.Count(r => r is { Method: "GET", Path: "/Api/R3/Contact", Status: 200 }));
        Assert.Equal(1000, sim.Requests.Count(r => r is { Method: "PUT", Path: "/Api/R3/Contact", Status: 200 }));
        Assert.Equal(0, sim.RateLimited);
        Assert.True(time.GetUtcNow() - started >= TimeSpan.FromMinutes(33), $"only {time.GetUtcNow() - started} of schedule passed");
    }

    [Fact]
    public async Task Opting_out_one_contact_writes_its_consent_field_only()
    {
        var anna = _sim.AddPerson("Anna", "anna@example.hu");
        var bela = _sim.AddPerson("Béla", "bela@example.hu");
        bela.Fields["Hirlevel"] = "Active";
        var target = Target(new() { ["requestsPerMinute"] = "6000", ["consentField"] = "Hirlevel" });

        await target.SetConsentAsync(new ConsentChange { Key = "K1", Email = "anna@example.hu", State = ConsentState.Unsubscribed, At = DateTimeOffset.UtcNow });

        Assert.Equal("Unsubscribed", anna.Fields["Hirlevel"]);
        Assert.Equal("Active", bela.Fields["Hirlevel"]);
    }

    [Fact]
    public async Task Pull_is_documented_as_empty_minicrm_exposes_no_subscription_feed_and_the_cursor_is_kept()
    {
        var person = _sim.AddPerson("Anna", "anna@example.hu");
        person.Fields["Hirlevel"] = "Unsubscribed";
        var target = Target(new() { ["requestsPerMinute"] = "6000", ["consentField"] = "Hirlevel" });

        var first = await target.PullChangesAsync(new PullRequest(null, ["anna@example.hu"]));
        var second = await target.PullChangesAsync(new PullRequest("cursor-from-before"));

        Assert.Empty(first.Consent);
        Assert.Empty(first.Bounces);
        Assert.Null(first.NextCursor);
        Assert.Empty(second.Consent);
        Assert.Empty(second.Bounces);
        Assert.Equal("cursor-from-before", second.NextCursor);
        Assert.Empty(_sim.Requests);
    }

    [Fact]
    public async Task Erase_purges_the_Person()
    {
        _sim.AddPerson("Anna", "anna@example.hu");

        await Target().EraseContactAsync("K1", "anna@example.hu");

        Assert.Empty(_sim.Contacts);
    }

    [Fact]
    public async Task Wrong_api_key_is_a_TargetAuthException()
    {
        var target = _host.Create("minicrm", _sim.BaseUrl, Credentials("wrong-key"));

        var error = await Assert.ThrowsAsync<TargetAuthException>(() => target.TestConnectionAsync());

        Assert.Equal(HttpStatusCode.Unauthorized, error.Status);
        Assert.DoesNotContain("wrong-key", error.Message);
    }

    [Fact]
    public async Task A_create_whose_answer_was_lost_is_not_repeated_blindly()
    {
        // The create's timeout elapses on a clock the test moves once the create has reached MiniCRM.
        var time = new SteppedTimeProvider();
        var attemptTimeout = TimeSpan.FromSeconds(30);
        using var host = new TargetTestHost(time, http: o => o.AttemptTimeout = attemptTimeout);
        var target = host.Create("minicrm", _sim.BaseUrl, Credentials(), new() { ["requestsPerMinute"] = "6000" });
        var create = _sim.Faults.HoldNext("PUT", "/Api/R3/Contact");

        var upsert = target.UpsertContactsAsync([new Contact { Key = "K1", Email = "anna@example.hu", FirstName = "Anna" }]);
        await time.StepUntilAsync(() => create.Arrived.IsCompleted, "the create to reach MiniCRM");
        time.Advance(attemptTimeout);
        var outcome = Assert.Single(await upsert);

        Assert.Equal(UpsertStatus.RetryLater, outcome.Status);
        Assert.Equal("TIMEOUT", outcome.Code);
        // A blind retry would have created the Person on its second, undelayed attempt.
        Assert.Empty(_sim.Contacts);
    }

    [Fact]
    public async Task A_spent_budget_gives_the_worker_back_at_once_with_the_wait_as_retry_after()
    {
        // Other callers already hold the next three minutes of a 1-a-minute system.
        var now = _host.Time.GetUtcNow();
        for (var i = 0; i < 4; i++)
            await _host.Store.ReserveSlotAsync("relay:rate:minicrm:12345", 1 / 60.0, 1, now);

        var error = await Assert.ThrowsAsync<TargetTransientException>(() => Target(new() { ["requestsPerMinute"] = "1" }).TestConnectionAsync());

        Assert.Equal("RATE_BUDGET", error.Code);
        Assert.InRange(error.RetryAfter!.Value, TimeSpan.FromMinutes(3.9), TimeSpan.FromMinutes(4));
        Assert.Empty(_sim.Requests);
    }

    [Fact]
    public async Task A_create_refused_with_503_is_retried()
    {
        _sim.Faults.FailNext(1, 503, method: "PUT", path: "/Api/R3/Contact");

        var outcome = Assert.Single(await Target().UpsertContactsAsync([new Contact { Key = "K1", Email = "anna@example.hu", FirstName = "Anna" }]));

        Assert.Equal(UpsertStatus.Ok, outcome.Status);
        Assert.Single(_sim.Contacts);
        Assert.Equal([503, 200], _sim.Requests.Where(r => r is { Method: "PUT", Path: "/Api/R3/Contact" }).Select(r => r.Status));
    }

    [Fact]
    public async Task Two_relay_instances_sharing_one_store_stay_within_60_requests_a_minute()
    {
        var time = new VirtualTimeProvider();
        await using var sim = await MiniCrmSimulator.StartAsync("12345", "minicrm-api-key", time);
        var store = new EmbeddedRelayStore(time, 1);
        // Pacing waits jump the virtual clock; an attempt timeout on that clock would fire at once.
        using var first = new TargetTestHost(time, store, o => o.AttemptTimeout = Timeout.InfiniteTimeSpan);
        using var second = new TargetTestHost(time, store, o => o.AttemptTimeout = Timeout.InfiniteTimeSpan);
        var a = first.Create("minicrm", sim.BaseUrl, Credentials(), accountId: "shopware:a/minicrm");
        var b = second.Create("minicrm", sim.BaseUrl, Credentials(), accountId: "shoper:b/minicrm");

        // Alternating keeps the virtual clock exact (concurrent waiters would push each other's
        // clocks forward); the two instances still only know of each other through the store.
        for (var i = 0; i < 45; i++)
        {
            await a.TestConnectionAsync();
            await b.TestConnectionAsync();
        }

        Assert.Equal(0, sim.RateLimited);
        var accepted = sim.AcceptedAt.Order().ToList();
        Assert.Equal(90, accepted.Count);
        for (var i = 60; i < accepted.Count; i++)
            Assert.True(accepted[i] - accepted[i - 60] >= TimeSpan.FromMinutes(1), $"request {i} came less than a minute after request {i - 60}");
    }

    [Fact]
    public async Task Consent_read_uses_the_configured_consent_field_and_the_upsert_after_it_does_not_search_again()
    {
        var anna = _sim.AddPerson("Anna", "anna@example.hu");
        anna.Fields["Hirlevel"] = "Unsubscribed";
        _sim.AddPerson("Bela", "bela@example.hu");
        var target = Target(new() { ["requestsPerMinute"] = "6000", ["consentField"] = "Hirlevel" });
        Contact[] contacts =
        [
            new() { Key = "anna@example.hu", Email = "anna@example.hu", FirstName = "Anna" },
            new() { Key = "bela@example.hu", Email = "bela@example.hu", FirstName = "Bela" },
            new() { Key = "cecil@example.hu", Email = "cecil@example.hu", FirstName = "Cecil" },
        ];

        var consent = await target.ReadConsentAsync(contacts);
        var readCalls = _sim.Requests.Count;
        await target.UpsertContactsAsync(contacts);

        // Bela has the field empty: unknown, as Cecil whom MiniCRM does not have.
        Assert.Equal(ConsentState.Unsubscribed, Assert.Single(consent).Value.State);
        Assert.Equal("anna@example.hu", consent.Single().Key);
        Assert.Equal(5, readCalls); // three searches, two person reads
        Assert.DoesNotContain(_sim.Requests.Skip(readCalls), r => r.Method == "GET");
    }

    [Fact]
    public async Task Without_a_consent_field_the_consent_read_is_unknown_for_everyone_and_costs_nothing()
    {
        _sim.AddPerson("Anna", "anna@example.hu").Fields["Hirlevel"] = "Unsubscribed";

        var consent = await Target().ReadConsentAsync([new Contact { Key = "anna@example.hu", Email = "anna@example.hu" }]);

        Assert.Empty(consent);
        Assert.Empty(_sim.Requests);
    }
}
