using CsCheck;
using Microsoft.Extensions.DependencyInjection;
using Relay.Mapping;
using Relay.Pipeline;
using Relay.Settings;
using Relay.Sync;
using Relay.Tests.Infrastructure;
using Relay.Tests.Platforms.Shoper;
using Simulators.MiniCrm;
using Simulators.Sare;
using Simulators.Shopware;
using Simulators.Spotler;

namespace Relay.Tests.Sync;

/// <summary>
/// The promise the relay is built on, as a property: whatever the interleaving of shop and target
/// events (subscribes, unsubscribes, confirmations, edits, unsubscribe clicks, hard bounces, resyncs,
/// late webhooks, pull-backs at any moment), with the shop's and the target's clocks off by minutes and
/// Shoper's times zone-less, a person whose last act (in real time) was an opt-out is left subscribed
/// on neither side once the relay has caught up. Driven through the real forwarders, ContactSync,
/// ConsentPolicy and pull-back against the strict simulators; each interleaving is a new person in the
/// same shop. Target opt-outs are what a person can do there: click unsubscribe in a mailing (so only
/// while subscribed there), or bounce one. MiniCRM exposes no opt-outs to pull, so its interleavings
/// have shop events only.
/// </summary>
[Collection(ShoperTestbed.Collection)]
public sealed class UnsubscribeWinsPropertyTests
{
    /// <summary>Interleavings per platform and target: six combinations, a few hundred in all.</summary>
    private const int Interleavings = 50;

    public enum Act { Subscribe, SubscribePending, Confirm, Unsubscribe, Edit, TargetUnsubscribe, TargetBounce, Resync, Deliver, Pull }

    public sealed record Step(Act Act, int AfterSeconds);

    public sealed record Interleaving(int ShopSkewSeconds, int TargetSkewSeconds, Step[] Steps)
    {
        public override string ToString() =>
            $"shop clock {ShopSkewSeconds:+0;-0}s, target clock {TargetSkewSeconds:+0;-0}s: " + string.Join(", ", Steps.Select(s => $"+{s.AfterSeconds}s {s.Act}"));
    }

    private static readonly Gen<Step> Steps = Gen.Select(
        Gen.Frequency((4, Gen.Const(Act.Subscribe)), (1, Gen.Const(Act.SubscribePending)), (2, Gen.Const(Act.Confirm)), (3, Gen.Const(Act.Unsubscribe)),
            (1, Gen.Const(Act.Edit)), (4, Gen.Const(Act.TargetUnsubscribe)), (1, Gen.Const(Act.TargetBounce)), (1, Gen.Const(Act.Resync)),
            (3, Gen.Const(Act.Deliver)), (2, Gen.Const(Act.Pull))),
        // Mostly close together (clock skew and zone doubt decide the order), sometimes hours apart.
        Gen.Frequency((4, Gen.Int[5, 300]), (2, Gen.Int[300, 1800]), (1, Gen.Int[1800, 4 * 3600])),
        (act, after) => new Step(act, after));

    /// <summary>Real skews stay within what each side declares (<see cref="PartnerClock.Skew"/>).</summary>
    private static readonly Gen<Interleaving> Interleavings_ = Gen.Select(Gen.Int[-480, 480], Gen.Int[-480, 480], Steps.Array[2, 12],
        (shop, target, steps) => new Interleaving(shop, target, steps));

    [Theory]
    [InlineData("shopware", "spotler")]
    [InlineData("shopware", "sare")]
    [InlineData("shopware", "minicrm")]
    [InlineData("shoper", "spotler")]
    [InlineData("shoper", "sare")]
    [InlineData("shoper", "minicrm")]
    public async Task A_person_who_opted_out_last_is_subscribed_on_neither_side(string platform, string target)
    {
        await using var world = await World.StartAsync(platform, target);
        // One sample of them all from a fixed seed: the same interleavings, in the same order, on every run.
        await Interleavings_.Array[Interleavings].SampleAsync(async all =>
        {
            for (var i = 0; i < all.Length; i++)
            {
                var person = $"p{i:D4}@example.com";
                try
                {
                    await world.CheckAsync(person, all[i]);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    throw new Xunit.Sdk.XunitException($"{person}, {all[i]}:{Environment.NewLine}{e.Message}");
                }
            }
        }, iter: 1, threads: 1, seed: Seed(platform, target), print: all => $"{all.Length} interleavings");
    }

    /// <summary>A fixed seed per combination.</summary>
    private static string Seed(string platform, string target) =>
        new PCG((uint)(platform.Length * 31 + target.Length), 20261207UL).ToString();

    /// <summary>One shop, one target, one relay clock; the shop's and the target's clocks are the relay's plus a skew.</summary>
    private sealed class World : IAsyncDisposable
    {
        private readonly List<IAsyncDisposable> _owned = [];
        private IShopSide _shop = null!;
        private ITargetSide _target = null!;
        private ManualTimeProvider _time = null!;
        private IRelaySide _relaySide = null!;

        public static async Task<World> StartAsync(string platform, string target)
        {
            var world = new World();
            var settings = new Dictionary<string, string?> { ["Sync:BackgroundEnabled"] = "false" };
            if (platform == "shopware")
            {
                var bed = await SyncTestbed.StartAsync(settings);
                world._owned.Add(bed);
                world._time = bed.Time;
                world._shop = new ShopwareSide(bed);
                world._relaySide = new RelaySide(bed.ShopKey, bed.Shopware.Relay.Services, bed.ProcessQueueAsync);
            }
            else
            {
                var bed = await ShoperTestbed.StartAsync(settings: settings, shop: o =>
                {
                    o.ShopLicense = "property" + Guid.NewGuid().ToString("N");
                    // No pacing in the way: the interleavings are about order, not about Shoper's bucket.
                    o.ApiLimit = 100_000;
                    o.ApiBandwidth = 100_000;
                });
                await bed.InstallAsync();
                world._owned.Add(bed);
                world._time = bed.Time!;
                world._shop = new ShoperSide(bed);
                world._relaySide = new RelaySide(bed.ShopKey, bed.Relay.Services, () => bed.Get<QueueWorker>().ProcessOnceAsync());
            }
            world._target = target switch
            {
                "spotler" => new SpotlerSide(await SpotlerSimulator.StartAsync("ck", "cs", world._time)),
                "sare" => new SareSide(await SareSimulator.StartAsync()),
                _ => new MiniCrmSide(await MiniCrmSimulator.StartAsync("12345", "minicrm-api-key", world._time)),
            };
            world._owned.Add(world._target);
            var (outcome, _) = await world._relaySide.Settings.SaveAsync(world._relaySide.ShopKey,
                new ShopSettings { SyncEnabled = true, Target = world._target.Settings }, 0);
            Assert.Equal(SaveOutcome.Saved, outcome);
            return world;
        }

        public async Task CheckAsync(string email, Interleaving interleaving)
        {
            DateTimeOffset ShopNow() => _time.GetUtcNow().AddSeconds(interleaving.ShopSkewSeconds);
            DateTimeOffset TargetNow() => _time.GetUtcNow().AddSeconds(interleaving.TargetSkewSeconds);
            // Each opt-in and opt-out as it really happened: the relay's clock is the true one.
            var acts = new List<(DateTimeOffset At, bool OptOut)>();
            foreach (var step in interleaving.Steps)
            {
                _time.Advance(TimeSpan.FromSeconds(step.AfterSeconds));
                bool? optOut = step.Act switch
                {
                    Act.Subscribe => await _shop.SubscribeAsync(email, ShopNow()) ? false : null,
                    Act.SubscribePending => await _shop.SubscribePendingAsync(email, ShopNow()) ? false : null,
                    Act.Confirm => await _shop.ConfirmAsync(email, ShopNow()) ? false : null,
                    Act.Unsubscribe => await _shop.UnsubscribeAsync(email, ShopNow()) ? true : null,
                    Act.TargetUnsubscribe => _target.Unsubscribe(email, TargetNow()) ? true : null,
                    Act.TargetBounce => _target.Bounce(email, TargetNow()) ? true : null,
                    _ => null,
                };
                if (optOut is { } o) acts.Add((_time.GetUtcNow(), o));
                switch (step.Act)
                {
                    case Act.Edit: await _shop.EditAsync(email, ShopNow()); break;
                    case Act.Resync: await _relaySide.ResyncAsync(await _shop.IdOfAsync(email)); break;
                    case Act.Deliver: await _relaySide.DeliverAsync(); break;
                    case Act.Pull: await _relaySide.PullAsync(); break;
                }
            }

            // The relay catches up: every webhook handled, pull-back run, and whatever that wrote handled too.
            await _relaySide.DeliverAsync();
            _time.Advance(TimeSpan.FromMinutes(15));
            await _relaySide.PullAsync();
            await _relaySide.DeliverAsync();
            _time.Advance(TimeSpan.FromMinutes(15));
            await _relaySide.PullAsync();

            if (acts.Count == 0 || !acts[^1].OptOut) return;
            Assert.False(_shop.IsSubscribed(email), $"{email} opted out last but is subscribed in the shop");
            Assert.False(_target.IsSubscribed(email), $"{email} opted out last but is subscribed in the target");
        }

        public async ValueTask DisposeAsync()
        {
            for (var i = _owned.Count - 1; i >= 0; i--) await _owned[i].DisposeAsync();
        }
    }

    private interface IRelaySide
    {
        string ShopKey { get; }
        ShopSettingsStore Settings { get; }
        Task DeliverAsync();
        Task PullAsync();
        Task ResyncAsync(string? subscriberId);
    }

    /// <summary>The relay's own moves: its queue worker, its pull-back, and a resync of one record as a full sync or reconciliation page pushes it.</summary>
    private sealed class RelaySide(string shopKey, IServiceProvider services, Func<Task<int>> processQueue) : IRelaySide
    {
        public string ShopKey => shopKey;
        public ShopSettingsStore Settings => services.GetRequiredService<ShopSettingsStore>();

        public async Task DeliverAsync()
        {
            while (await processQueue() > 0) { }
        }

        public async Task PullAsync() =>
            Assert.Equal(PullBackOutcome.Done, (await services.GetRequiredService<PullBackRunner>().RunOnceAsync(shopKey)).Outcome);

        public async Task ResyncAsync(string? subscriberId)
        {
            if (subscriberId is null) return;
            var (ctx, _) = await services.GetRequiredService<SyncContexts>().ForShopAsync(shopKey);
            var records = await ctx!.Shop.GetAsync(shopKey, ShopRecordKind.Subscriber, [subscriberId], default);
            if (records.Count > 0) await services.GetRequiredService<ContactSync>().PushAsync(ctx, records, SyncMode.Resync, null, default);
        }
    }

    /// <summary>What the person and the merchant do in the shop. A true answer: that act was an opt-in (or, for Unsubscribe, an opt-out).</summary>
    private interface IShopSide
    {
        Task<bool> SubscribeAsync(string email, DateTimeOffset at);
        Task<bool> SubscribePendingAsync(string email, DateTimeOffset at);
        Task<bool> ConfirmAsync(string email, DateTimeOffset at);
        Task<bool> UnsubscribeAsync(string email, DateTimeOffset at);
        Task EditAsync(string email, DateTimeOffset at);
        Task<string?> IdOfAsync(string email);
        bool IsSubscribed(string email);
    }

    private sealed class ShopwareSide(SyncTestbed bed) : IShopSide
    {
        private readonly Dictionary<string, SimulatedNewsletterRecipient> _recipients = [];

        private async Task<bool> SetAsync(string email, string status, DateTimeOffset at, string eventName)
        {
            if (!_recipients.TryGetValue(email, out var r))
                _recipients[email] = r = bed.ShopApi.AddNewsletterRecipient(new SimulatedNewsletterRecipient { Email = email, Status = status, CreatedAt = at, FirstName = "Jan" });
            else
            {
                r.Status = status;
                r.UpdatedAt = at;
            }
            if (status == "optIn") r.ConfirmedAt = at;
            await bed.SendNewsletterAsync(eventName, r.Id);
            return true;
        }

        private bool Subscribed(string email) => _recipients.TryGetValue(email, out var r) && r.Status is "direct" or "optIn";

        public async Task<bool> SubscribeAsync(string email, DateTimeOffset at) =>
            !Subscribed(email) && await SetAsync(email, "direct", at, "newsletter.register");

        public async Task<bool> SubscribePendingAsync(string email, DateTimeOffset at)
        {
            if (!Subscribed(email)) await SetAsync(email, "notSet", at, "newsletter.register");
            return false;
        }

        /// <summary>A pending subscription confirmed is an opt-in; an existing one confirmed again (the link clicked twice) is not.</summary>
        public async Task<bool> ConfirmAsync(string email, DateTimeOffset at)
        {
            if (!_recipients.TryGetValue(email, out var r) || r.Status is not ("notSet" or "optIn")) return false;
            var wasPending = r.Status == "notSet";
            await SetAsync(email, "optIn", at, "newsletter.confirm");
            return wasPending;
        }

        public async Task<bool> UnsubscribeAsync(string email, DateTimeOffset at) =>
            _recipients.ContainsKey(email) && await SetAsync(email, "optOut", at, "newsletter.unsubscribe");

        /// <summary>An admin edits the recipient: Shopware sends no webhook for it; a resync (reconciliation) carries it.</summary>
        public Task EditAsync(string email, DateTimeOffset at)
        {
            if (_recipients.TryGetValue(email, out var r))
            {
                r.FirstName = "Jan " + at.ToUnixTimeSeconds();
                r.UpdatedAt = at;
            }
            return Task.CompletedTask;
        }

        public Task<string?> IdOfAsync(string email) => Task.FromResult(_recipients.TryGetValue(email, out var r) ? r.Id : null);

        public bool IsSubscribed(string email) => Subscribed(email);
    }

    private sealed class ShoperSide(ShoperTestbed bed) : IShopSide
    {
        private readonly Dictionary<string, string> _ids = [];
        private int _deliveries;

        private async Task SendAsync(string eventName, string id, string email)
        {
            var active = bed.Shop.Read(shop => shop.Subscribers[id].Active);
            // Shoper deduplicates by webhook and body: each delivery its own.
            var body = $"{{\"subscriber_id\":\"{id}\",\"email\":\"{email}\",\"active\":\"{(active ? 1 : 0)}\",\"groups\":[\"{++_deliveries}\"]}}";
            using var response = await bed.Client.SendAsync(bed.Shop.BuildWebhookDelivery(eventName, body));
            Assert.True(response.IsSuccessStatusCode, $"webhook refused: {(int)response.StatusCode}");
        }

        private bool Active(string email) => _ids.TryGetValue(email, out var id) && bed.Shop.Read(shop => shop.Subscribers[id].Active);

        private void SetActive(string id, bool active) => bed.Shop.Read(shop => shop.Subscribers[id] = shop.Subscribers[id] with { Active = active });

        /// <summary>A new subscription at dateadd = now in Polish time; reactivating one keeps its dateadd, as Shoper does not say otherwise.</summary>
        public async Task<bool> SubscribeAsync(string email, DateTimeOffset at)
        {
            if (Active(email)) return false;
            if (!_ids.TryGetValue(email, out var id))
            {
                _ids[email] = id = bed.Shop.SeedSubscriber(email, addedAt: at);
                await SendAsync("subscriber.create", id, email);
            }
            else
            {
                SetActive(id, true);
                await SendAsync("subscriber.edit", id, email);
            }
            return true;
        }

        /// <summary>Shoper has no pending state: a subscription is active or not.</summary>
        public Task<bool> SubscribePendingAsync(string email, DateTimeOffset at) => SubscribeAsync(email, at);

        /// <summary>No double opt-in in Shoper's API: a confirmation is an edit of what exists.</summary>
        public async Task<bool> ConfirmAsync(string email, DateTimeOffset at)
        {
            await EditAsync(email, at);
            return false;
        }

        public async Task<bool> UnsubscribeAsync(string email, DateTimeOffset at)
        {
            if (!_ids.TryGetValue(email, out var id)) return false;
            SetActive(id, false);
            await SendAsync("subscriber.edit", id, email);
            return true;
        }

        /// <summary>The merchant moves the subscriber to other groups: subscriber.edit, nothing about consent.</summary>
        public async Task EditAsync(string email, DateTimeOffset at)
        {
            if (_ids.TryGetValue(email, out var id)) await SendAsync("subscriber.edit", id, email);
        }

        public Task<string?> IdOfAsync(string email) => Task.FromResult(_ids.GetValueOrDefault(email));

        public bool IsSubscribed(string email) => Active(email);
    }

    /// <summary>What the person does in the marketing system; true when it was an opt-out (done while subscribed there).</summary>
    private interface ITargetSide : IAsyncDisposable
    {
        TargetSettings Settings { get; }
        bool Unsubscribe(string email, DateTimeOffset at);
        bool Bounce(string email, DateTimeOffset at);
        bool IsSubscribed(string email);
    }

    private sealed class SpotlerSide(SpotlerSimulator spotler) : ITargetSide
    {
        private readonly HashSet<string> _bounced = [];

        public TargetSettings Settings => new()
        {
            Kind = "spotler",
            BaseUrl = spotler.BaseUrl,
            Credentials = new Dictionary<string, string> { ["consumerKey"] = "ck", ["consumerSecret"] = "cs" },
        };

        /// <summary>A hard-bounced address is not mailed, whatever its permission bit says.</summary>
        public bool IsSubscribed(string email) =>
            spotler.Contacts.TryGetValue(email, out var c) && c.Permissions.GetValueOrDefault(1) && !_bounced.Contains(email);

        public bool Unsubscribe(string email, DateTimeOffset at)
        {
            if (!IsSubscribed(email)) return false;
            spotler.Unsubscribe(email, 1, at);
            return true;
        }

        public bool Bounce(string email, DateTimeOffset at)
        {
            if (!IsSubscribed(email)) return false;
            spotler.Bounce(email, hard: true, at);
            _bounced.Add(email);
            return true;
        }

        public ValueTask DisposeAsync() => spotler.DisposeAsync();
    }

    private sealed class SareSide(SareSimulator sare) : ITargetSide
    {
        public TargetSettings Settings => new()
        {
            Kind = "sare",
            BaseUrl = sare.BaseUrl,
            Credentials = new Dictionary<string, string> { ["uid"] = "12345", ["apiKey"] = "0f8fad5b-d9cb-469f-a165-70867728950e" },
        };

        public bool IsSubscribed(string email) => sare.Subscribers.TryGetValue(email, out var s) && s.Status == 8;

        public bool Unsubscribe(string email, DateTimeOffset at)
        {
            if (!IsSubscribed(email)) return false;
            sare.Unsubscribe(email);
            return true;
        }

        /// <summary>SARE has no bounce feed: a dead address is removed automatically (3).</summary>
        public bool Bounce(string email, DateTimeOffset at)
        {
            if (!IsSubscribed(email)) return false;
            sare.Unsubscribe(email, status: 3);
            return true;
        }

        public ValueTask DisposeAsync() => sare.DisposeAsync();
    }

    private sealed class MiniCrmSide : ITargetSide
    {
        private const string ConsentField = "Hirlevel";
        private readonly MiniCrmSimulator minicrm;

        /// <summary>Its per-minute limit off: the relay's pacing is not what these interleavings are about.</summary>
        public MiniCrmSide(MiniCrmSimulator simulator)
        {
            minicrm = simulator;
            minicrm.RequestsPerMinute = 1_000_000;
        }

        public TargetSettings Settings => new()
        {
            Kind = "minicrm",
            BaseUrl = minicrm.BaseUrl,
            Credentials = new Dictionary<string, string> { ["systemId"] = "12345", ["apiKey"] = "minicrm-api-key" },
            Options = new Dictionary<string, string> { ["requestsPerMinute"] = "6000", ["consentField"] = ConsentField },
        };

        public bool IsSubscribed(string email) => minicrm.Contacts.Values.Any(c =>
            string.Equals(c.Fields.GetValueOrDefault("Email"), email, StringComparison.OrdinalIgnoreCase) && c.Fields.GetValueOrDefault(ConsentField) == "Active");

        public bool Unsubscribe(string email, DateTimeOffset at) => false;
        public bool Bounce(string email, DateTimeOffset at) => false;

        public ValueTask DisposeAsync() => minicrm.DisposeAsync();
    }
}
