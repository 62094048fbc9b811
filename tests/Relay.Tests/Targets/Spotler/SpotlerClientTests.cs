using System.Net;
using Relay.Mapping;
using Relay.Targets;
using Relay.Tests.Infrastructure;
using Simulators.Spotler;

namespace Relay.Tests.Targets.Spotler;

public sealed class SpotlerClientTests : IAsyncLifetime
{
    private readonly ManualTimeProvider _time = new();
    private SpotlerSimulator _sim = null!;
    private TargetTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _sim = await SpotlerSimulator.StartAsync("ck", "cs", _time);
        _host = new TargetTestHost(_time);
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _sim.DisposeAsync();
    }

    private ITarget Target(string? baseUrl = null, Dictionary<string, string>? options = null) =>
        _host.Create("spotler", baseUrl ?? _sim.BaseUrl, new() { ["consumerKey"] = "ck", ["consumerSecret"] = "cs" }, options);

    private static Contact Person(int i, string? email = null) => new()
    {
        Key = $"C{i}",
        Email = email ?? $"person{i}@example.nl",
        FirstName = "Jan",
        LastName = $"Jansen {i}",
        Address = new PostalAddress { City = "Utrecht", PostalCode = "3511AA" },
        Fields = new Dictionary<string, string?> { ["profileField1"] = $"K-{i}" },
    };

    [Fact]
    public async Task Bulk_upsert_of_250_contacts_is_three_calls_of_at_most_100()
    {
        var outcomes = await Target().UpsertContactsAsync(Enumerable.Range(1, 250).Select(i => Person(i)).ToList());

        Assert.Equal([100, 100, 50], sim_batches());
        Assert.Equal(250, outcomes.Count);
        Assert.All(outcomes, o => Assert.Equal(UpsertStatus.Ok, o.Status));
        Assert.Equal(Enumerable.Range(1, 250).Select(i => $"C{i}"), outcomes.Select(o => o.Key));
        var stored = _sim.Contacts["C42"];
        Assert.Equal("person42@example.nl", stored.Properties["email"]);
        Assert.Equal("Utrecht", stored.Properties["city"]);
        Assert.Equal("K-42", stored.Properties["profileField1"]);
        // An upsert never touches permissions: consent only travels as a ConsentChange.
        Assert.Empty(stored.Permissions);

        IReadOnlyList<int> sim_batches() => _sim.ContactListBatches;
    }

    [Fact]
    public async Task Connection_test_succeeds_with_valid_credentials_in_one_signed_call()
    {
        await Target().TestConnectionAsync();

        var call = Assert.Single(_sim.Requests);
        Assert.Equal(("GET", "/integrationservice/contact/properties/list", 200), (call.Method, call.Path, call.Status));
        Assert.Equal(0, _sim.SignatureFailures);
    }

    [Fact]
    public async Task Bulk_upsert_of_1000_contacts_is_ten_calls_of_100()
    {
        var outcomes = await Target().UpsertContactsAsync(Enumerable.Range(1, 1000).Select(i => Person(i)).ToList());

        Assert.Equal(1000, outcomes.Count);
        Assert.All(outcomes, o => Assert.Equal(UpsertStatus.Ok, o.Status));
        Assert.Equal(1000, _sim.Contacts.Count);
        // Counted at the simulator: every HTTP call it received.
        Assert.Equal(10, _sim.Requests.Count);
        Assert.All(_sim.Requests, r => Assert.Equal(("POST", "/integrationservice/contact/list", 200), (r.Method, r.Path, r.Status)));
        Assert.Equal(Enumerable.Repeat(100, 10), _sim.ContactListBatches);
    }

    [Fact]
    public async Task Pull_over_overlapping_windows_reports_exactly_the_new_unsubscribes_and_bounces_and_repeats_them_identically()
    {
        var start = _time.GetUtcNow();
        for (var i = 1; i <= 6; i++) _sim.AddContact($"C{i}", $"p{i}@example.nl", (1, true));
        _sim.Unsubscribe("C5", 1, start.AddHours(-30)); // before the first window (24 h back)
        _sim.Bounce("C6", hard: true, start.AddHours(-30));
        _time.Advance(TimeSpan.FromMinutes(10));
        _sim.Unsubscribe("C1", 1, start.AddMinutes(5));
        _sim.Bounce("C2", hard: true, start.AddMinutes(6));
        var target = Target(options: new() { ["pullOverlapMinutes"] = "30" });

        var first = await target.PullChangesAsync(new PullRequest(null));
        _time.Advance(TimeSpan.FromHours(1));
        _sim.Unsubscribe("C3", 1, start.AddMinutes(65));
        _sim.Bounce("C4", hard: false, start.AddMinutes(66));
        var second = await target.PullChangesAsync(new PullRequest(first.NextCursor));

        Assert.Equal(["C1"], Unsubscribes(first).Select(c => c.Key));
        Assert.Equal(["C2"], first.Bounces.Select(b => b.Key!));
        // The second window reaches 30 minutes behind the first one's end: C1 and C2 come again,
        // identical (same key and time), so keyed processing sees each exactly once.
        var allUnsubscribes = Unsubscribes(first).Concat(Unsubscribes(second)).ToList();
        var allBounces = first.Bounces.Concat(second.Bounces).ToList();
        Assert.Equal(["C1", "C3"], allUnsubscribes.DistinctBy(c => (c.Key, c.At)).Select(c => c.Key).Order());
        Assert.Equal([("C2", BounceKind.Hard), ("C4", BounceKind.Soft)], allBounces.DistinctBy(b => (b.Email, b.At, b.Kind)).Select(b => (b.Key!, b.Kind)).Order());
        Assert.Equal(Unsubscribes(first).Single(), Unsubscribes(second).Single(c => c.Key == "C1"));
        Assert.Equal(first.Bounces.Single(), second.Bounces.Single(b => b.Key == "C2"));
        Assert.Equal(start.AddMinutes(65), Unsubscribes(second).Single(c => c.Key == "C3").At);
        Assert.DoesNotContain(allUnsubscribes, c => c.Key == "C5");
        Assert.DoesNotContain(allBounces, b => b.Key == "C6");

        static IEnumerable<ConsentChange> Unsubscribes(PullResult r) => r.Consent.Where(c => c.State == ConsentState.Unsubscribed);
    }

    [Fact]
    public async Task Bulk_upsert_reports_rejections_per_contact()
    {
        var outcomes = await Target().UpsertContactsAsync([Person(1), Person(2, "not-an-email"), Person(3)]);

        Assert.Equal([UpsertStatus.Ok, UpsertStatus.Rejected, UpsertStatus.Ok], outcomes.Select(o => o.Status));
        Assert.Equal("PROPERTY_INVALID", outcomes[1].Code);
        Assert.False(_sim.Contacts.ContainsKey("C2"));
    }

    [Fact]
    public async Task Single_contact_is_inserted_then_updated_by_externalId()
    {
        var target = Target();
        await target.UpsertContactsAsync([Person(7)]);
        var outcome = await target.UpsertContactsAsync([Person(7) with { FirstName = "Piet" }]);

        Assert.Equal(UpsertStatus.Ok, Assert.Single(outcome).Status);
        Assert.Equal("Piet", _sim.Contacts["C7"].Properties["firstName"]);
        Assert.Contains(_sim.Requests, r => r is { Method: "POST", Path: "/integrationservice/contact" });
    }

    [Fact]
    public async Task Consent_is_written_as_the_configured_permission_bit_only()
    {
        _sim.AddContact("C1", "a@example.nl", (1, true), (2, true));
        var target = Target(options: new() { ["permissionBit"] = "2" });

        await target.SetConsentAsync(new ConsentChange { Key = "C1", Email = "a@example.nl", State = ConsentState.Unsubscribed, At = _time.GetUtcNow() });

        Assert.False(_sim.Contacts["C1"].Permissions[2]);
        Assert.True(_sim.Contacts["C1"].Permissions[1]);
        Assert.Contains(_sim.Requests, r => r is { Method: "PUT", Path: "/integrationservice/contact/C1", Status: 204 });
    }

    [Fact]
    public async Task Consent_for_an_unknown_contact_creates_it_with_the_bit()
    {
        await Target().SetConsentAsync(new ConsentChange { Key = "NEW", Email = "new@example.nl", State = ConsentState.Subscribed, At = _time.GetUtcNow() });

        Assert.True(_sim.Contacts["NEW"].Permissions[1]);
        Assert.Equal("new@example.nl", _sim.Contacts["NEW"].Properties["email"]);
    }

    [Fact]
    public async Task Describe_lists_properties_and_permission_bits()
    {
        var schema = await Target().DescribeAsync();

        Assert.Contains(schema.Fields, f => f is { Id: "email", Type: "email", Required: true });
        Assert.Contains(schema.Fields, f => f.Id == "profileField1");
        Assert.DoesNotContain(schema.Fields, f => f.Id == "permissions");
        Assert.Equal([new TargetList("1", "Nieuwsbrief"), new TargetList("2", "Aanbiedingen")], schema.Lists);
    }

    [Fact]
    public async Task Erase_anonymises_and_an_unknown_contact_counts_as_erased()
    {
        _sim.AddContact("C1", "a@example.nl");
        var target = Target();

        await target.EraseContactAsync("C1", "a@example.nl");
        await target.EraseContactAsync("GONE", null);

        Assert.True(_sim.Contacts["C1"].Anonymized);
        Assert.DoesNotContain("a@example.nl", _sim.Contacts["C1"].Properties.Values);
    }

    [Fact]
    public async Task Pull_reads_updates_and_bounces_through_paged_envelopes()
    {
        var now = _time.GetUtcNow();
        for (var i = 1; i <= 5; i++) _sim.AddContact($"C{i}", $"p{i}@example.nl", (1, true));
        _sim.Unsubscribe("C2", 1, now.AddMinutes(-30));
        _sim.Unsubscribe("C4", 1, now.AddMinutes(-20));
        _sim.Bounce("C3", hard: true, now.AddMinutes(-10));
        _sim.Bounce("C5", hard: false, now.AddMinutes(-5));
        _sim.Bounce("C1", hard: true, now.AddMinutes(-4));

        var result = await Target(options: new() { ["pageSize"] = "2" }).PullChangesAsync(new PullRequest(null));

        Assert.Equal(5, result.Consent.Count);
        Assert.Equal(["C2", "C4"], result.Consent.Where(c => c.State == ConsentState.Unsubscribed).Select(c => c.Key).Order());
        var unsubscribed = result.Consent.Single(c => c.Key == "C2");
        Assert.Equal("p2@example.nl", unsubscribed.Email);
        Assert.Equal(now.AddMinutes(-30), unsubscribed.At);
        Assert.Equal(3, result.Bounces.Count);
        Assert.Equal(BounceKind.Soft, result.Bounces.Single(b => b.Key == "C5").Kind);
        Assert.Equal(BounceKind.Hard, result.Bounces.Single(b => b.Email == "p3@example.nl").Kind);
        // 5 updates in pages of 2 and 3 bounces in pages of 2: 3 + 2 calls.
        Assert.Equal(3, _sim.Requests.Count(r => r.Path.EndsWith("updates/list")));
        Assert.Equal(2, _sim.Requests.Count(r => r.Path.EndsWith("bounces/list")));
    }

    [Fact]
    public async Task Pull_accepts_bare_arrays_with_epoch_seconds_on_the_versioned_base()
    {
        _sim.EpochMilliseconds = false;
        var now = _time.GetUtcNow();
        for (var i = 1; i <= 3; i++) _sim.AddContact($"C{i}", $"p{i}@example.nl", (1, true));
        _sim.Unsubscribe("C3", 1, now.AddMinutes(-7));
        _sim.Bounce("C1", hard: true, now.AddMinutes(-3));

        var result = await Target(_sim.VersionedBaseUrl, new() { ["pageSize"] = "2" }).PullChangesAsync(new PullRequest(null));

        var unsubscribed = Assert.Single(result.Consent, c => c.State == ConsentState.Unsubscribed);
        Assert.Equal(now.AddMinutes(-7), unsubscribed.At);
        Assert.Equal(now.AddMinutes(-3), Assert.Single(result.Bounces).At);
        Assert.Equal(2, _sim.Requests.Count(r => r.Path == "/integrationservice-1.1.0/contact/updates/list"));
    }

    [Fact]
    public async Task Cursor_advances_and_the_next_window_overlaps_the_previous_one()
    {
        var target = Target(options: new() { ["pullOverlapMinutes"] = "120" });
        var first = await target.PullChangesAsync(new PullRequest(null));
        _time.Advance(TimeSpan.FromHours(1));
        _sim.AddContact("C9", "late@example.nl", (1, true));
        _sim.Unsubscribe("C9", 1, _time.GetUtcNow().AddMinutes(-1));

        var second = await target.PullChangesAsync(new PullRequest(first.NextCursor));

        Assert.Equal(DateTimeOffset.Parse(first.NextCursor!).AddHours(1), DateTimeOffset.Parse(second.NextCursor!));
        var window = _sim.Requests.Last(r => r.Path.EndsWith("updates/list")).Query;
        // 07:00 and 10:00 UTC as Amsterdam wall-clock time (CET in November): the zone Mail+'s own connector uses.
        Assert.Contains("fromDate=2026-11-22T08%3A00%3A00", window);
        Assert.Contains("toDate=2026-11-22T11%3A00%3A00", window);
        Assert.Equal("C9", Assert.Single(second.Consent).Key);
    }

    [Theory]
    [InlineData(400, "INVALID_PARAMS", typeof(TargetPermanentException))]
    [InlineData(404, "CONTACT_NOT_FOUND", typeof(TargetPermanentException))]
    [InlineData(400, "NOT_AUTHORIZED", typeof(TargetAuthException))]
    [InlineData(401, "AUTH_NOT_FOUND", typeof(TargetAuthException))]
    [InlineData(403, "NOT_AUTHORIZED", typeof(TargetAuthException))]
    [InlineData(500, "BACKEND_EXCEPTION", typeof(TargetTransientException))]
    [InlineData(400, "BACKEND_EXCEPTION", typeof(TargetTransientException))]
    public async Task ErrorType_decides_the_kind_of_failure(int status, string errorType, Type expected)
    {
        _sim.Faults.FailNext(10, status, body: $"{{\"errorType\":\"{errorType}\",\"message\":\"Contact x@example.nl is broken\"}}");

        var error = await Assert.ThrowsAnyAsync<TargetException>(() => Target().DescribeAsync());

        Assert.IsType(expected, error);
        Assert.Equal(errorType, error.Code);
        Assert.DoesNotContain("x@example.nl", error.Message);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(404)]
    public async Task Client_errors_are_not_retried(int status)
    {
        _sim.Faults.FailNext(1, status, body: "{\"errorType\":\"INVALID_PARAMS\",\"message\":\"no\"}");

        await Assert.ThrowsAnyAsync<TargetException>(() => Target().TestConnectionAsync());

        Assert.Single(_sim.Requests);
    }

    [Fact]
    public async Task A_503_is_retried_and_the_retry_is_signed_afresh()
    {
        _sim.Faults.FailNext(1, 503);

        await Target().TestConnectionAsync();

        Assert.Equal([503, 200], _sim.Requests.Select(r => r.Status));
        Assert.Equal(0, _sim.SignatureFailures);
    }

    [Fact]
    public async Task Consent_of_one_contact_is_read_with_one_GET_and_an_unknown_contact_is_absent()
    {
        _sim.AddContact("C1", "weg@example.nl", (1, true));
        _time.Advance(TimeSpan.FromHours(1));
        var unsubscribedAt = _time.GetUtcNow();
        _sim.Unsubscribe("C1", 1, unsubscribedAt);

        var target = Target();
        var one = await target.ReadConsentAsync([Person(1)]);
        var none = await target.ReadConsentAsync([Person(2)]);

        var consent = one["C1"];
        Assert.Equal(ConsentState.Unsubscribed, consent.State);
        Assert.Equal(unsubscribedAt.ToUnixTimeMilliseconds(), consent.At.ToUnixTimeMilliseconds());
        Assert.True(consent.OptedOut);
        Assert.Empty(none);
        Assert.Equal([("GET", "/integrationservice/contact/C1"), ("GET", "/integrationservice/contact/C2")], _sim.Requests.Select(r => (r.Method, r.Path)));
    }

    [Fact]
    public async Task Consent_of_a_page_of_contacts_comes_from_one_snapshot_of_the_feeds_with_hard_bounces()
    {
        for (var i = 1; i <= 300; i++) _sim.AddContact($"C{i}", $"person{i}@example.nl", (1, true));
        _time.Advance(TimeSpan.FromDays(400));
        _sim.Unsubscribe("C7", 1, _time.GetUtcNow());
        _sim.Bounce("C8", hard: true, _time.GetUtcNow());
        _sim.Bounce("C9", hard: false, _time.GetUtcNow());

        var target = Target();
        var first = await target.ReadConsentAsync(Enumerable.Range(1, 500).Select(i => Person(i)).ToList());
        var second = await target.ReadConsentAsync(Enumerable.Range(501, 500).Select(i => Person(i)).ToList());

        Assert.Equal(300, first.Count);
        Assert.Empty(second);
        Assert.Equal(ConsentState.Unsubscribed, first["C7"].State);
        Assert.Equal(ConsentState.Subscribed, first["C8"].State);
        Assert.NotNull(first["C8"].HardBouncedAt);
        Assert.True(first["C8"].OptedOut);
        Assert.False(first["C9"].OptedOut);
        Assert.False(first["C1"].OptedOut);
        // One call per feed for the whole account (up to 10,000 a call), whatever the number of pages asked about.
        Assert.Equal(["/integrationservice/contact/updates/list", "/integrationservice/contact/bounces/list"], _sim.Requests.Select(r => r.Path));
        Assert.All(_sim.Requests, r => Assert.Contains("fromDate=2000-01-01T01%3A00%3A00", r.Query)); // in Amsterdam time
    }

    [Fact]
    public async Task An_old_consent_snapshot_catches_up_with_the_feed_before_answering()
    {
        _sim.AddContact("C1", "person1@example.nl", (1, true));
        _sim.AddContact("C2", "person2@example.nl", (1, true));
        var target = Target();
        Assert.False((await target.ReadConsentAsync([Person(1), Person(2), Person(3)]))["C2"].OptedOut);

        _time.Advance(TimeSpan.FromMinutes(20));
        _sim.Unsubscribe("C2", 1, _time.GetUtcNow());
        var later = await target.ReadConsentAsync([Person(1), Person(2), Person(3)]);

        Assert.Equal(ConsentState.Unsubscribed, later["C2"].State);
        Assert.Equal(4, _sim.Requests.Count);
    }

    [Fact]
    public async Task A_contact_created_moments_ago_with_the_bit_off_is_unknown_not_an_opt_out()
    {
        // What a concurrent event of the same person just created: Spotler reports the unset bit as disabled.
        _sim.AddContact("C1", "person1@example.nl");
        _sim.AddContact("C2", "person2@example.nl");
        _time.Advance(TimeSpan.FromDays(2));
        _sim.AddContact("C3", "person3@example.nl");

        var one = await Target().ReadConsentAsync([Person(3)]);
        var many = await Target().ReadConsentAsync([Person(1), Person(2), Person(3)]);

        Assert.Empty(one);
        Assert.Equal(["C1", "C2"], many.Keys.Order());
        Assert.All(many.Values, c => Assert.Equal(ConsentState.Unsubscribed, c.State));
    }
}
